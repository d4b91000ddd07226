#pragma once

#include <condition_variable>
#include <mutex>
#include <set>
#include <string>

namespace faasd::network {

// One lock per id: operations on the same id run one at a time, operations
// on different ids run at once.
class IdLocks {
public:
    class Guard {
    public:
        Guard(IdLocks& locks, std::string id) : locks_(&locks), id_(std::move(id)) {}
        Guard(const Guard&) = delete;
        Guard& operator=(const Guard&) = delete;
        ~Guard() { locks_->unlock(id_); }

    private:
        IdLocks* locks_;
        std::string id_;
    };

    [[nodiscard]] Guard lock(const std::string& id) {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] { return !held_.contains(id); });
        held_.insert(id);
        return Guard(*this, id);
    }

private:
    void unlock(const std::string& id) {
        {
            std::lock_guard lock(mu_);
            held_.erase(id);
        }
        cv_.notify_all();
    }

    std::mutex mu_;
    std::condition_variable cv_;
    std::set<std::string> held_;
};

} // namespace faasd::network
