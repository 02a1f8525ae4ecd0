// Writes the two data sets of bench/lmm_vs_lme4.sh (issue 3):
//   crossed: ratings of targets by raters, each rater scoring a random subset of targets;
//   nested:  therapists > clients > sessions with a session trend.
// Usage: lmm_data crossed FILE [targets raters ratings seed]
//        lmm_data nested FILE [therapists clients_per_therapist sessions seed]
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: lmm_data crossed|nested FILE [sizes... seed]\n");
    return 2;
  }
  const std::string kind = argv[1];
  std::FILE* out = std::fopen(argv[2], "w");
  if (!out) {
    std::perror(argv[2]);
    return 1;
  }
  auto arg = [&](int i, long def) { return argc > i ? std::atol(argv[i]) : def; };
  std::normal_distribution<double> norm;
  if (kind == "crossed") {
    const long targets = arg(3, 1000), raters = arg(4, 3000), ratings = arg(5, 70000);
    std::mt19937_64 rng(static_cast<unsigned long>(arg(6, 1)));
    std::vector<double> tu(static_cast<std::size_t>(targets)), ru(static_cast<std::size_t>(raters));
    for (auto& v : tu) v = 0.8 * norm(rng);
    for (auto& v : ru) v = 0.5 * norm(rng);
    std::uniform_int_distribution<long> pick_t(0, targets - 1);
    std::fprintf(out, "score,x,target,rater\n");
    for (long i = 0; i < ratings; ++i) {
      const long r = i % raters;  // every rater rates about ratings/raters targets
      const long t = pick_t(rng);
      const double x = norm(rng);
      const double y = 3 + 0.3 * x + tu[static_cast<std::size_t>(t)] + ru[static_cast<std::size_t>(r)] + norm(rng);
      std::fprintf(out, "%.6f,%.6f,t%ld,r%ld\n", y, x, t, r);
    }
  } else if (kind == "nested") {
    const long therapists = arg(3, 2000), clients = arg(4, 20), sessions = arg(5, 12);
    std::mt19937_64 rng(static_cast<unsigned long>(arg(6, 1)));
    std::fprintf(out, "outcome,session,therapist,client\n");
    for (long t = 0; t < therapists; ++t) {
      const double u = 0.4 * norm(rng);
      for (long c = 0; c < clients; ++c) {
        const double v = 1.0 * norm(rng);
        for (long s = 0; s < sessions; ++s) {
          const double y = 15 - 0.5 * static_cast<double>(s) + u + v + 2 * norm(rng);
          std::fprintf(out, "%.5f,%ld,%ld,%ld\n", y, s, t, t * clients + c);
        }
      }
    }
  } else {
    std::fprintf(stderr, "unknown kind '%s'\n", kind.c_str());
    return 2;
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
