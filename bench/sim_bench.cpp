// Prints the time to simulate a clinic (default: 2,000 therapists, 40,000 clients, 12 sessions)
// and to serialise it (CSV tables and truth.json into a discarding stream).
// Usage: sim_bench [therapists clients sessions [seed]]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ostream>
#include <streambuf>

#include "attune/instruments/instrument.hpp"
#include "attune/sim/sim.hpp"

namespace {

// Counts and discards what is written.
class CountingBuf : public std::streambuf {
 public:
  std::size_t bytes = 0;

 protected:
  int overflow(int c) override {
    ++bytes;
    return c;
  }
  std::streamsize xsputn(const char*, std::streamsize n) override {
    bytes += static_cast<std::size_t>(n);
    return n;
  }
};

double Since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

int main(int argc, char** argv) {
  attune::sim::SimParams params;
  params.therapists = 2000;
  params.clients = 40000;
  params.sessions = 12;
  std::uint64_t seed = 1;
  if (argc >= 4) {
    params.therapists = std::atoi(argv[1]);
    params.clients = std::atoi(argv[2]);
    params.sessions = std::atoi(argv[3]);
  }
  if (argc >= 5) seed = std::strtoull(argv[4], nullptr, 10);

  auto catalogue = attune::instruments::Catalogue::LoadDirectory(ATTUNE_SOURCE_DIR "/instruments");
  if (!catalogue) {
    std::fprintf(stderr, "sim_bench: %s\n", catalogue.error().message.c_str());
    return 1;
  }
  auto start = std::chrono::steady_clock::now();
  auto sim = attune::sim::SimulateClinic(*catalogue, params, seed);
  const double simulate_s = Since(start);
  if (!sim) {
    std::fprintf(stderr, "sim_bench: %s\n", sim.error().message.c_str());
    return 1;
  }
  const auto& clinic = sim->clinic;
  std::printf("sim_bench: simulate %d therapists x %d clients x %d sessions: %.3f s "
              "(%zu episodes, %zu sessions, %zu responses, %zu item answers)\n",
              params.therapists, params.clients, params.sessions, simulate_s, clinic.episodes.size(),
              clinic.sessions.size(), clinic.responses.size(), clinic.values.size());

  CountingBuf csv_buf;
  std::ostream csv(&csv_buf);
  start = std::chrono::steady_clock::now();
  for (auto table : {attune::sim::Table::THERAPISTS, attune::sim::Table::CLIENTS, attune::sim::Table::EPISODES,
                     attune::sim::Table::SESSIONS, attune::sim::Table::RESPONSES}) {
    attune::sim::WriteCsv(clinic, table, csv);
  }
  const double csv_s = Since(start);
  std::printf("sim_bench: CSV tables: %.3f s (%.1f MB)\n", csv_s, static_cast<double>(csv_buf.bytes) / 1e6);

  CountingBuf json_buf;
  std::ostream json(&json_buf);
  start = std::chrono::steady_clock::now();
  attune::sim::WriteTruthJson(sim->truth, json);
  const double json_s = Since(start);
  std::printf("sim_bench: truth.json: %.3f s (%.1f MB)\n", json_s, static_cast<double>(json_buf.bytes) / 1e6);
  return 0;
}
