#pragma once
// Private to sim: helpers shared by the parameter checks and the generator.

#include <array>
#include <cstddef>
#include <optional>

#include "attune/sim/sim.hpp"

namespace attune::sim {

using Matrix5 = std::array<std::array<double, 5>, 5>;

//! Lower-triangular L with L L' = m, or nullopt when m is not positive definite.
std::optional<Matrix5> Cholesky(const Matrix5& m);

}  // namespace attune::sim
