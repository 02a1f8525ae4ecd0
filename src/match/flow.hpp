#pragma once
// Private to module match: a min-cost flow solved by LEMON's NetworkSimplex (flow.cpp is the
// only translation unit that includes LEMON, compiled as C++17).

#include <cstddef>
#include <vector>

namespace attune::match::detail {

struct FlowArc {
  int from = 0, to = 0;
  long long capacity = 0;
  long long cost = 0;
};

struct FlowResult {
  bool feasible = false;
  std::vector<long long> flow;       // per arc
  std::vector<long long> potential;  // per node
};

// Minimises sum cost * flow subject to 0 <= flow <= capacity and, at every node,
// outflow - inflow == supply[node].
FlowResult SolveMinCostFlow(int nodes, const std::vector<FlowArc>& arcs, const std::vector<long long>& supply);

}  // namespace attune::match::detail
