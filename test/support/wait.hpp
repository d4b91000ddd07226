#pragma once

// Tests wait for a condition with a deadline, never for a stretch of time:
// waitUntil returns as soon as the condition holds, and a test that REQUIREs
// it fails (instead of hanging or racing) when the behaviour is gone.
// holdsFor is the opposite question, for steady states: a condition that
// must stay true for a while (say, while a load runs), sampled throughout.

#include <chrono>
#include <thread>

namespace faasd {

// Checks pred every `poll` until it holds or `timeout` has passed; whether
// it held. pred is always checked once more at the deadline.
template <typename Pred>
bool waitUntil(Pred&& pred, std::chrono::milliseconds timeout,
               std::chrono::milliseconds poll = std::chrono::milliseconds(10)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() >= deadline) {
            return pred();
        }
        std::this_thread::sleep_for(poll); // the polling interval, not a wait for an event
    }
    return true;
}

// Checks pred every `poll` for `duration`; false as soon as it does not hold.
template <typename Pred>
bool holdsFor(Pred&& pred, std::chrono::milliseconds duration,
              std::chrono::milliseconds poll = std::chrono::milliseconds(100)) {
    const auto end = std::chrono::steady_clock::now() + duration;
    while (std::chrono::steady_clock::now() < end) {
        if (!pred()) {
            return false;
        }
        std::this_thread::sleep_for(poll); // the sampling interval, not a wait for an event
    }
    return pred();
}

} // namespace faasd
