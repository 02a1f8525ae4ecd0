// Helper for crash_test: submits responses to a SQLite database as fast as it can and prints
// "ack <key>" after each commit has returned. The test kills it with SIGKILL at random moments.
// Usage: store_crash_writer DB KEY_PREFIX
//        store_crash_writer --backup DB FILE   (prints "go", backs DB up to FILE, prints "done")

#include <cstdio>
#include <string>

#include "attune/store/store.hpp"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: store_crash_writer DB KEY_PREFIX\n");
    return 2;
  }
  using namespace attune;
  if (std::string(argv[1]) == "--backup") {
    auto store = store::Store::Open(store::Target::Sqlite(argv[2]));
    if (!store) return 1;
    std::printf("go\n");
    std::fflush(stdout);
    auto made = store->Backup(argv[3]);
    if (!made) {
      std::fprintf(stderr, "backup: %s\n", made.error().message.c_str());
      return 1;
    }
    std::printf("done\n");
    return 0;
  }
  auto store = store::Store::Open(store::Target::Sqlite(argv[1]));
  if (!store) {
    std::fprintf(stderr, "open: %s\n", store.error().message.c_str());
    return 1;
  }
  auto orgs = store->ListOrganisations();
  if (!orgs || orgs->empty()) {
    std::fprintf(stderr, "no organisation\n");
    return 1;
  }
  OrgId org = orgs->front().id;
  for (long i = 0;; ++i) {
    store::ScoredResponse scored;
    Response& r = scored.response;
    r.instrument_id = "phq9";
    r.instrument_version = "1";
    r.respondent_id = i;
    r.subject_id = i;
    r.answered_at = "2026-11-26T10:00:00Z";
    for (int item = 0; item < 9; ++item) r.answers.emplace_back((i + item) % 4);
    r.idempotency_key = std::string(argv[2]) + "-" + std::to_string(i);
    Score total;
    total.scale_id = "total";
    total.value = 9;
    total.answered = 9;
    scored.scores.push_back(total);
    auto outcome = store->SubmitResponse(org, scored);
    if (!outcome) {
      std::fprintf(stderr, "submit: %s\n", outcome.error().message.c_str());
      return 1;
    }
    std::printf("ack %s\n", r.idempotency_key.c_str());
    std::fflush(stdout);
  }
}
