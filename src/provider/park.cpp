// Parking: an idle function's replicas frozen in place (containerd task
// pause: memory kept, no CPU), withdrawn from resolve() and reported as 0
// replicas; a wake resumes them. A function at zero that is not parked
// (evicted, or scaled to 0) wakes by starting replicas.

#include "provider/containerd_provider.hpp"
#include "provider/logger.hpp"

#include <thread>

namespace faasd::provider {

Result<void> ContainerdProvider::park(const std::string& name, const std::string& nsIn) {
    const std::string ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    const api::FunctionRef key{name, ns};
    const auto what = fmt::format("parking {}", key);
    auto op = opLock(key);
    std::lock_guard opGuard(*op);
    std::vector<std::string> ids;
    {
        std::lock_guard lock(mu_);
        auto it = functions_.find(key);
        if (it == functions_.end()) {
            return fail(Code::NotFound, "{}: function {} not found in namespace {}", what, name,
                        ns);
        }
        auto& fn = it->second;
        if (fn.parked || fn.desired == 0) {
            return {};
        }
        for (const auto& [id, r] : fn.replicas) {
            if (r.state != ReplicaState::Ready) {
                return fail(Code::FailedPrecondition, "{}: replica {} is not ready", what, id);
            }
        }
        // Withdrawn before they freeze: no new request is sent to them. The
        // function counts as parked only once every task is Paused (below);
        // until then its status still reports its replicas, and a wake waits
        // on the operation lock held here, then resumes what was frozen.
        for (auto& [id, r] : fn.replicas) {
            r.state = ReplicaState::Paused;
            ids.push_back(id);
        }
    }
    auto tasks = inNs(ns).tasks();
    for (size_t i = 0; i < ids.size(); ++i) {
        if (auto paused = tasks.pause(ids[i]); !paused) {
            for (size_t j = 0; j < i; ++j) {
                (void)tasks.resume(ids[j]);
            }
            std::lock_guard lock(mu_);
            if (auto it = functions_.find(key); it != functions_.end()) {
                for (auto& [id, r] : it->second.replicas) {
                    if (r.state == ReplicaState::Paused) {
                        r.state = ReplicaState::Ready;
                    }
                }
            }
            return fail(paused.error().context(fmt::format("{}: pausing {}", what, ids[i])));
        }
    }
    {
        std::lock_guard lock(mu_);
        if (auto it = functions_.find(key); it != functions_.end()) {
            it->second.parked = true;
        }
    }
    kLog.info("parked {} ({} replicas frozen)", key, ids.size());
    return {};
}

bool ContainerdProvider::resumeLocked(const api::FunctionRef& key) {
    std::vector<std::string> ids;
    {
        std::lock_guard lock(mu_);
        auto it = functions_.find(key);
        if (it == functions_.end() || !it->second.parked) {
            return false;
        }
        for (const auto& [id, r] : it->second.replicas) {
            if (r.state == ReplicaState::Paused) {
                ids.push_back(id);
            }
        }
    }
    auto tasks = inNs(key.ns).tasks();
    std::vector<Result<void>> results(ids.size());
    if (ids.size() == 1) {
        results[0] = tasks.resume(ids[0]);
    } else {
        std::vector<std::thread> threads;
        for (size_t i = 0; i < ids.size(); ++i) {
            threads.emplace_back([&, i] { results[i] = tasks.resume(ids[i]); });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    bool serving = false;
    std::lock_guard lock(mu_);
    auto it = functions_.find(key);
    if (it == functions_.end()) {
        return false;
    }
    it->second.parked = false;
    for (size_t i = 0; i < ids.size(); ++i) {
        auto r = it->second.replicas.find(ids[i]);
        if (r == it->second.replicas.end()) {
            continue;
        }
        // A resumed watchdog was ready when it froze, and its listening
        // socket kept accepting: it serves at once, no probe needed.
        if (results[i]) {
            r->second.state = ReplicaState::Ready;
            serving = true;
        } else {
            kLog.warn("resuming replica {} of {}: {}; restarting it", ids[i], key,
                      results[i].error().message());
            r->second.state = ReplicaState::Crashed;
            r->second.nextRestart = std::chrono::steady_clock::now();
            woken_ = true;
            wake_.notify_all();
        }
    }
    return serving;
}

Result<void> ContainerdProvider::wake(const std::string& name, const std::string& nsIn,
                                      uint64_t replicas) {
    const std::string ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    const api::FunctionRef key{name, ns};
    const auto what = fmt::format("waking {}", key);
    auto op = opLock(key);
    std::lock_guard opGuard(*op);
    uint64_t desired = 0;
    bool parked = false;
    {
        std::lock_guard lock(mu_);
        auto it = functions_.find(key);
        if (it == functions_.end()) {
            return fail(Code::NotFound, "{}: function {} not found in namespace {}", what, name,
                        ns);
        }
        desired = it->second.desired;
        parked = it->second.parked;
    }
    if (parked) {
        if (resumeLocked(key)) {
            return {};
        }
        // Nothing resumed: whatever is left restarts through the reconciler;
        // serve sooner with fresh replicas.
        kLog.warn("{}: no parked replica resumed; starting new ones", what);
        desired = 0;
    }
    if (desired > 0) {
        return {}; // replicas exist; they may still be starting
    }
    return withContext(
        scaleLocked(key, std::min(std::max<uint64_t>(replicas, 1), config_.maxReplicas)), what);
}

bool ContainerdProvider::isParked(const std::string& name, const std::string& nsIn) {
    const std::string_view ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    std::lock_guard lock(mu_);
    auto it = functions_.find(api::FunctionRefView{name, ns});
    return it != functions_.end() && it->second.parked;
}

} // namespace faasd::provider
