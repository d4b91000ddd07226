#pragma once

#include <utility>

namespace faasd {

// Runs a function when it goes out of scope unless release()d. Deploys use
// it to roll back half-made work.
template <typename F> class ScopeExit {
public:
    explicit ScopeExit(F fn) : fn_(std::move(fn)) {}
    ~ScopeExit() {
        if (active_) {
            fn_();
        }
    }
    ScopeExit(const ScopeExit&) = delete;
    ScopeExit& operator=(const ScopeExit&) = delete;

    void release() { active_ = false; }

private:
    F fn_;
    bool active_ = true;
};

} // namespace faasd
