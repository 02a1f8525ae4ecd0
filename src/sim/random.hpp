#pragma once
// Private to sim: reproducible random numbers. std::mt19937_64's output is fixed by the C++
// standard; the std:: distributions are not, so the transforms below are our own.

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <span>

namespace attune::sim {

//! SplitMix64 finaliser: spreads a seed over all 64 bits.
inline std::uint64_t SplitMix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

//! Kinds of independent stream; a stream is (seed, kind, id).
enum class Stream : std::uint64_t { THERAPIST = 1, CLIENT = 2, ASSIGNMENT = 3, EPISODE = 4, CENSUS = 5, TRIAL = 6, PROFILE = 7 };

//! The seed of one entity's stream.
inline std::uint64_t StreamSeed(std::uint64_t seed, Stream kind, std::uint64_t id) {
  return SplitMix64(seed ^ SplitMix64((static_cast<std::uint64_t>(kind) << 40) + id));
}

//! Uniform, normal, Bernoulli and categorical draws over mt19937_64.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  //! Uniform on [0, 1) with 53 random bits.
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  //! Standard normal (Box-Muller; the second value is kept for the next call).
  double Normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u1 = 1.0 - Uniform();  // (0, 1]
    const double u2 = Uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * 3.14159265358979323846 * u2;
    spare_ = r * std::sin(angle);
    has_spare_ = true;
    return r * std::cos(angle);
  }

  bool Bernoulli(double p) { return Uniform() < p; }

  //! Uniform integer in [lo, hi].
  int UniformInt(int lo, int hi) {
    const int n = hi - lo + 1;
    int k = static_cast<int>(Uniform() * n);
    if (k >= n) k = n - 1;
    return lo + k;
  }

  //! An index drawn with probability proportional to `weights` (not all zero).
  std::size_t Pick(std::span<const double> weights) {
    double total = 0;
    for (double w : weights) total += w;
    double x = Uniform() * total;
    for (std::size_t i = 0; i < weights.size(); ++i) {
      if (x < weights[i]) return i;
      x -= weights[i];
    }
    for (std::size_t i = weights.size(); i-- > 0;) {
      if (weights[i] > 0) return i;
    }
    return 0;
  }

 private:
  std::mt19937_64 engine_;
  double spare_ = 0;
  bool has_spare_ = false;
};

}  // namespace attune::sim
