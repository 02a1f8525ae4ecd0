// The LEMON translation unit (C++17: LEMON 1.3 predates C++20).
#include "match/flow.hpp"

#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>

namespace attune::match::detail {

FlowResult SolveMinCostFlow(int nodes, const std::vector<FlowArc>& arcs, const std::vector<long long>& supply) {
  lemon::SmartDigraph graph;
  graph.reserveNode(nodes);
  graph.reserveArc(static_cast<int>(arcs.size()));
  std::vector<lemon::SmartDigraph::Node> node;
  node.reserve(static_cast<std::size_t>(nodes));
  for (int v = 0; v < nodes; ++v) node.push_back(graph.addNode());
  for (const auto& a : arcs) {
    graph.addArc(node[static_cast<std::size_t>(a.from)], node[static_cast<std::size_t>(a.to)]);
  }
  lemon::SmartDigraph::ArcMap<long long> capacity(graph), cost(graph);
  lemon::SmartDigraph::NodeMap<long long> supplies(graph);
  for (std::size_t i = 0; i < arcs.size(); ++i) {
    const auto arc = graph.arcFromId(static_cast<int>(i));
    capacity[arc] = arcs[i].capacity;
    cost[arc] = arcs[i].cost;
  }
  for (std::size_t v = 0; v < node.size(); ++v) supplies[node[v]] = supply[v];

  lemon::NetworkSimplex<lemon::SmartDigraph, long long, long long> simplex(graph);
  simplex.upperMap(capacity).costMap(cost).supplyMap(supplies);
  FlowResult result;
  result.feasible = simplex.run() == lemon::NetworkSimplex<lemon::SmartDigraph, long long, long long>::OPTIMAL;
  if (!result.feasible) return result;
  result.flow.resize(arcs.size());
  for (std::size_t i = 0; i < arcs.size(); ++i) result.flow[i] = simplex.flow(graph.arcFromId(static_cast<int>(i)));
  result.potential.resize(node.size());
  for (std::size_t v = 0; v < node.size(); ++v) result.potential[v] = simplex.potential(node[v]);
  return result;
}

}  // namespace attune::match::detail
