// Storage benchmarks (issue 4); prints measured figures.
//   import:  N PHQ-9 responses from CSV through the service layer into a new SQLite file
//            (validated, scored, one transaction, durable). Target: 1,000,000 in <= 10 s.
//   submit:  single durable submissions through the service layer (SQLite, WAL,
//            synchronous=FULL): latency percentiles. Target: p99 <= 5 ms.
// Usage: store_bench [import_rows=1000000] [submissions=2000] [folder=/tmp]

#include <fmt/core.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "attune/service/service.hpp"

using namespace attune;
using Clock = std::chrono::steady_clock;

namespace {

// The clients the responses are about (a response must name a client of the organisation).
constexpr long kClients = 20000;

void AddClients(store::Store& store, OrgId org, long n) {
  std::vector<Client> clients(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) {
    clients[static_cast<std::size_t>(i)].external_id = fmt::format("c{}", i + 1);
    clients[static_cast<std::size_t>(i)].pseudonym = fmt::format("Client {}", i + 1);
  }
  auto added = store.AddClients(org, clients);
  if (!added) {
    fmt::print(stderr, "clients: {}\n", added.error().message);
    std::exit(1);
  }
}

std::string MakeCsv(long rows) {
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> answer(0, 3);
  std::string csv = "key,subject_id,answered_at,phq9_1,phq9_2,phq9_3,phq9_4,phq9_5,phq9_6,phq9_7,phq9_8,phq9_9,phq9_10\n";
  csv.reserve(static_cast<std::size_t>(rows) * 60);
  for (long i = 0; i < rows; ++i) {
    // in the past: an answer time in the future is refused, as by the API
    csv += fmt::format("b{},{},2025-{:02}-{:02}T10:00:00Z", i, 1 + i % kClients, 1 + i % 12, 1 + i % 28);
    for (int item = 0; item < 10; ++item) {
      csv += ',';
      csv += static_cast<char>('0' + answer(rng));
    }
    csv += '\n';
  }
  return csv;
}

double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
         static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// The disk's floor for a durable commit: latency of write + fdatasync of one page.
void PrintFsyncFloor(const std::filesystem::path& dir) {
  std::string path = (dir / "fsync.probe").string();
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return;
  std::vector<double> ms;
  char page[4096] = {};
  for (int i = 0; i < 200; ++i) {
    if (write(fd, page, sizeof page) != static_cast<ssize_t>(sizeof page)) break;
    auto start = Clock::now();
    fdatasync(fd);
    ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
  }
  close(fd);
  std::filesystem::remove(path);
  if (ms.empty()) return;
  std::sort(ms.begin(), ms.end());
  fmt::print("disk floor ({}): write+fdatasync of one page: p50 {:.3f} ms, p99 {:.3f} ms\n", dir.parent_path().string(),
             ms[ms.size() / 2], ms[ms.size() * 99 / 100]);
}

}  // namespace

int main(int argc, char** argv) {
  long import_rows = argc > 1 ? std::atol(argv[1]) : 1000000;
  int submissions = argc > 2 ? std::atoi(argv[2]) : 2000;
  std::filesystem::path dir = std::filesystem::path(argc > 3 ? argv[3] : "/tmp") /
                              ("attune-store-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);

  auto catalogue = instruments::Catalogue::LoadDirectory(ATTUNE_SOURCE_DIR "/instruments");
  if (!catalogue) {
    fmt::print(stderr, "instruments: {}\n", catalogue.error().message);
    return 1;
  }
  int status = 0;
  // The machine's load, printed with the figures: on a shared machine wall time follows it.
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3) {
    fmt::print("load average at start: {:.2f} {:.2f} {:.2f} ({} cores)\n", load[0], load[1], load[2],
               sysconf(_SC_NPROCESSORS_ONLN));
  }

  if (import_rows > 0) {
    std::string csv = MakeCsv(import_rows);
    auto store = store::Store::Open(store::Target::Sqlite((dir / "import.sqlite").string()));
    if (!store) {
      fmt::print(stderr, "{}\n", store.error().message);
      return 1;
    }
    auto org = store->CreateOrganisation("Bench clinic");
    AddClients(*store, *org, kClients);
    service::Service service(*store, *catalogue, instruments::Use::CLINICAL);
    std::istringstream in(csv);
    service::ImportOptions options;
    options.instrument_id = "phq9";
    options.source = "bench.csv";
    auto start = Clock::now();
    double cpu_start = CpuSeconds();
    auto report = service.ImportResponses(*org, in, options);
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    double cpu = CpuSeconds() - cpu_start;
    if (!report || report->imported != import_rows) {
      fmt::print(stderr, "import failed: {}\n", report ? "rows refused" : report.error().message);
      return 1;
    }
    auto check = store->IntegrityCheck();
    fmt::print("import: {} PHQ-9 responses (CSV -> validate -> score -> SQLite, one transaction): "
               "{:.2f} s wall ({:.2f} s CPU), {:.0f} responses/s; integrity {}; file {:.0f} MB\n",
               import_rows, seconds, cpu, static_cast<double>(import_rows) / seconds, check ? *check : "error",
               static_cast<double>(std::filesystem::file_size(dir / "import.sqlite")) / 1e6);
    if (import_rows == 1000000) {
      fmt::print("import target <= 10 s: {}\n", seconds <= 10 ? "met" : "NOT met");
    }
  }

  if (submissions > 0) {
    PrintFsyncFloor(dir);
    auto store = store::Store::Open(store::Target::Sqlite((dir / "submit.sqlite").string()));
    if (!store) {
      fmt::print(stderr, "{}\n", store.error().message);
      return 1;
    }
    auto org = store->CreateOrganisation("Bench clinic");
    AddClients(*store, *org, 500);
    service::Service service(*store, *catalogue, instruments::Use::CLINICAL);
    std::vector<double> ms;
    ms.reserve(static_cast<std::size_t>(submissions));
    std::mt19937 rng(7);
    std::uniform_int_distribution<int> answer(0, 3);
    for (int i = 0; i < submissions; ++i) {
      service::Submission s;
      s.instrument_id = "phq9";
      s.respondent_id = s.subject_id = 1 + i % 500;
      s.answered_at = "2026-11-26T10:00:00Z";
      for (int item = 0; item < 10; ++item) s.answers.emplace_back(answer(rng));
      s.idempotency_key = "s" + std::to_string(i);
      auto start = Clock::now();
      auto outcome = service.SubmitResponse(*org, s);
      ms.push_back(std::chrono::duration<double, std::milli>(Clock::now() - start).count());
      if (!outcome) {
        fmt::print(stderr, "submit failed: {}\n", outcome.error().message);
        return 1;
      }
    }
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) { return ms[std::min(ms.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ms.size())))]; };
    fmt::print("submit: {} durable single submissions (SQLite WAL, synchronous=FULL, audit entry each): "
               "p50 {:.3f} ms, p90 {:.3f} ms, p99 {:.3f} ms, max {:.3f} ms\n",
               ms.size(), pct(0.50), pct(0.90), pct(0.99), ms.back());
    fmt::print("submit target p99 <= 5 ms: {}\n", pct(0.99) <= 5 ? "met" : "NOT met");
  }
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  return status;
}
