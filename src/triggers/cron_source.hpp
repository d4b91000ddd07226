#pragma once

// Cron triggers: each function with `topic: cron-function` runs on its
// schedule (trigger.hpp), its runs started through a Delivery under the
// overlap rule, and the runs it missed while the daemon was down caught up
// under the missed rule (policy.hpp).
//
// The last run of each trigger is kept in a small JSON file (state dir,
// written atomically after the runs of each tick), so a restart knows what
// it missed. A trigger keeps its state while its function is redeployed,
// updated or scaled to zero; a changed schedule starts afresh from now.
//
//   CronSource cron({.stateFile = dir / "triggers.json"}, delivery);
//   cron.sync(functions);   // first: catches up what was missed
//   cron.start();           // the timer thread
//
// tick() is the timer's work, public so that tests drive it with their own
// clock: it starts the runs due at `now` and returns when the next falls due.

#include "triggers/source.hpp"
#include "triggers/trigger.hpp"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace faasd::triggers {

using SysTime = std::chrono::system_clock::time_point;

struct CronConfig {
    std::filesystem::path stateFile; // empty: nothing is kept across restarts
    std::function<SysTime()> clock = [] { return std::chrono::system_clock::now(); };
};

class CronSource : public Source {
public:
    CronSource(CronConfig config, Delivery& delivery);
    ~CronSource() override;
    CronSource(const CronSource&) = delete;
    CronSource& operator=(const CronSource&) = delete;

    std::string_view kind() const override { return "cron"; }
    Result<bool> check(const api::StringMap& annotations) const override;
    void sync(const std::vector<FunctionAnnotations>& functions) override;
    void forget(const api::FunctionRef& function) override;
    void start() override;
    void stop() override;
    std::vector<gateway::TriggerInfo> list() const override;
    std::string prometheusText() const override;

    // Starts the runs due at or before now; returns the time the next is due
    // (nullopt: none).
    std::optional<SysTime> tick(SysTime now);

private:
    struct Trigger;
    struct Pending {
        std::shared_ptr<Trigger> trigger;
        SysSeconds scheduled;
    };

    // Starts the runs (fireMutex_ held, mutex_ not).
    void fire(const std::vector<Pending>& runs);
    void ended(const std::weak_ptr<Trigger>& trigger, const RunEnd& end);
    void loop();
    // The last runs to the state file (mutex_ held: a snapshot).
    std::string stateJson() const;
    void saveState();
    void loadState();

    CronConfig config_;
    Delivery& delivery_;

    // Held while runs start, so that forget() returns only once none of the
    // forgotten function's runs is starting. Taken before mutex_.
    std::mutex fireMutex_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::map<api::FunctionRef, std::shared_ptr<Trigger>> triggers_;
    std::vector<Pending> released_; // waiting runs whose turn came (Overlap::Queue)
    // The last run of each function, as read at start; used once, by the
    // first sync() that sees the function.
    std::map<api::FunctionRef, std::pair<std::string, SysSeconds>> saved_;
    uint64_t generation_ = 0; // changed by sync() and forget(): the timer looks again
    bool dirty_ = false;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace faasd::triggers
