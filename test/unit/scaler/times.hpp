#pragma once

// The scaler tests' fixed moment: far enough from the clock's epoch that a
// test may step back from it.

#include "scaler/policy.hpp"

namespace faasd::scaler::test {

inline const TimePoint t0{std::chrono::hours(1000)};

} // namespace faasd::scaler::test
