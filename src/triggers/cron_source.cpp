#include "triggers/cron_source.hpp"

#include "common/files.hpp"
#include "triggers/logger.hpp"

#include <algorithm>
#include <atomic>
#include <date/date.h>
#include <deque>
#include <fmt/chrono.h>
#include <nlohmann/json.hpp>
#include <system_error>

namespace faasd::triggers {

namespace {

// What makes two schedules the same: a trigger whose annotation changed
// starts afresh, one redeployed as it was keeps its state.
std::string scheduleKey(const CronTrigger& cron) {
    return cron.schedule.timeZone() + " " + cron.schedule.text();
}

std::string rfc3339(SysSeconds t) {
    return date::format("%Y-%m-%dT%H:%M:%SZ", t);
}

// A run due more than this long ago when the timer looks (the machine was
// suspended, the clock jumped) counts as missed rather than late.
constexpr std::chrono::seconds kLateLimit{60};

// Runs each trigger lists in /system/triggers.
constexpr size_t kRecentRuns = 10;

// Threads that deliver the runs due at one tick.
constexpr size_t kDeliverThreads = 16;

// Runs that ended before their delivery returned, kept until it does.
constexpr size_t kEndedEarlyKept = 128;

} // namespace

struct CronSource::Trigger {
    api::FunctionRef function;
    CronTrigger cron;
    std::string key;
    std::optional<SysSeconds> next;
    std::optional<SysSeconds> lastRun;
    RunState run;
    std::optional<SysSeconds> waitingAt; // the run waiting its turn (Overlap::Queue)
    std::string lastStatus;
    std::string lastCallId;
    // Runs that ended before their deliver() returned (call id, status);
    // the last few, as a run that ends long after is no longer listed.
    std::deque<std::pair<std::string, std::string>> endedEarly;
    uint64_t runs = 0;
    uint64_t skipped = 0;
    uint64_t missed = 0;
    uint64_t failed = 0;
    std::deque<api::TriggerRun> recent; // newest first, at most kRecentRuns

    void record(SysSeconds at, const std::string& callId, std::string status) {
        recent.push_front({.at = at, .callId = callId, .status = std::move(status)});
        if (recent.size() > kRecentRuns) {
            recent.pop_back();
        }
    }
    // false when the run is not recorded yet.
    bool settle(const std::string& callId, const std::string& status) {
        for (auto& run : recent) {
            if (run.callId == callId) {
                run.status = status;
                return true;
            }
        }
        return false;
    }
};

CronSource::CronSource(CronConfig config, Delivery& delivery)
    : config_(std::move(config)), delivery_(delivery) {
    loadState();
}

CronSource::~CronSource() {
    stop();
}

Result<bool> CronSource::check(const api::StringMap& annotations) const {
    TRY_ASSIGN(auto cron, cronTrigger(annotations));
    return cron.has_value();
}

void CronSource::sync(const std::vector<FunctionAnnotations>& functions) {
    const SysTime now = config_.clock();
    const auto nowSeconds = std::chrono::floor<std::chrono::seconds>(now);
    std::lock_guard fireLock(fireMutex_);
    std::lock_guard lock(mutex_);
    std::map<api::FunctionRef, std::shared_ptr<Trigger>> next;
    for (const auto& fn : functions) {
        auto parsed = cronTrigger(fn.annotations);
        if (!parsed) {
            kLog.warn("{}: not scheduled: {}", fn.function.qualified(), parsed.error().message());
            continue;
        }
        if (!*parsed) {
            continue;
        }
        CronTrigger cron = std::move(**parsed);
        std::string key = scheduleKey(cron);
        auto it = triggers_.find(fn.function);
        if (it != triggers_.end() && it->second->key == key) {
            it->second->cron = std::move(cron); // the same schedule: policies, body, mode
            next.emplace(fn.function, it->second);
            continue;
        }
        auto t = std::make_shared<Trigger>();
        t->function = fn.function;
        t->key = std::move(key);
        t->cron = std::move(cron);
        t->next = t->cron.schedule.next(nowSeconds);
        auto saved = saved_.find(fn.function);
        if (saved != saved_.end() && saved->second.first == t->key) {
            t->lastRun = saved->second.second;
            CatchUp missed = catchUp(t->cron.schedule, t->cron.missed, *t->lastRun, nowSeconds);
            t->missed += missed.dropped;
            for (auto at : missed.runs) {
                t->run.running++; // caught up runs start whatever the overlap rule
                released_.push_back({t, at});
            }
            if (!missed.runs.empty() || missed.dropped > 0) {
                kLog.info("{}: {} runs missed while stopped; catching up {} ({})",
                          fn.function.qualified(), missed.dropped + missed.runs.size(),
                          missed.runs.size(), missedName(t->cron.missed));
            }
        }
        next.emplace(fn.function, std::move(t));
    }
    // Most resyncs change nothing: then neither the file nor the timer is touched.
    const bool changed =
        !saved_.empty() || next.size() != triggers_.size() ||
        !std::equal(next.begin(), next.end(), triggers_.begin(),
                    [](const auto& a, const auto& b) { return a.second == b.second; });
    triggers_ = std::move(next);
    saved_.clear(); // read once: functions not deployed now are gone
    if (changed) {
        dirty_ = true;
        generation_++;
        wake_.notify_all();
    }
}

void CronSource::forget(const api::FunctionRef& function) {
    std::lock_guard fireLock(fireMutex_);
    std::lock_guard lock(mutex_);
    if (triggers_.erase(function) > 0) {
        std::erase_if(released_, [&](const Pending& p) { return p.trigger->function == function; });
        dirty_ = true;
        generation_++;
        wake_.notify_all();
    }
}

std::optional<SysTime> CronSource::tick(SysTime now) {
    std::lock_guard fireLock(fireMutex_);
    std::vector<Pending> due;
    std::optional<SysTime> earliest;
    {
        std::lock_guard lock(mutex_);
        due.swap(released_);
        for (auto& [ref, t] : triggers_) {
            while (t->next && *t->next <= now) {
                const SysSeconds at = *t->next;
                t->next = t->cron.schedule.next(at);
                if (now - at > kLateLimit) {
                    t->missed++;
                    continue;
                }
                switch (runDue(t->cron.overlap, t->run)) {
                case DueAction::Start:
                    due.push_back({t, at});
                    break;
                case DueAction::Skip:
                    t->skipped++;
                    t->lastStatus = "skipped";
                    kLog.debug("{}: run at {} skipped: the last one still runs", ref.qualified(),
                               rfc3339(at));
                    break;
                case DueAction::Wait:
                    t->waitingAt = at;
                    break;
                }
            }
            if (t->next && (!earliest || *t->next < *earliest)) {
                earliest = *t->next;
            }
        }
    }
    fire(due);
    saveState();
    return earliest;
}

void CronSource::fire(const std::vector<Pending>& runs) {
    // Runs due together are delivered at once (up to kDeliverThreads), so
    // that the queue commits them together rather than one after another.
    std::vector<std::optional<Result<std::string>>> started(runs.size());
    auto deliver = [&](size_t i) {
        const Pending& p = runs[i];
        const auto& t = *p.trigger;
        Fire fire{.function = t.function,
                  .body = t.cron.body,
                  .headers = {{"X-Topic", std::string(kCronTopic)},
                              {"X-Connector", std::string(kCronConnector)},
                              {"X-Scheduled-Time", rfc3339(p.scheduled)}},
                  .sync = t.cron.sync};
        std::weak_ptr<Trigger> weak = p.trigger;
        started[i] = delivery_.deliver(std::move(fire),
                                       [this, weak](const RunEnd& end) { ended(weak, end); });
    };
    if (runs.size() == 1) {
        deliver(0);
    } else if (runs.size() > 1) {
        std::atomic<size_t> next{0};
        std::vector<std::thread> threads;
        for (size_t n = 0; n < std::min(runs.size(), kDeliverThreads); ++n) {
            threads.emplace_back([&] {
                for (size_t i = next++; i < runs.size(); i = next++) {
                    deliver(i);
                }
            });
        }
        for (auto& thread : threads) {
            thread.join();
        }
    }
    std::lock_guard lock(mutex_);
    for (size_t i = 0; i < runs.size(); ++i) {
        const Pending& p = runs[i];
        Trigger& trigger = *p.trigger;
        const auto& result = *started[i];
        trigger.lastRun = std::max(trigger.lastRun.value_or(p.scheduled), p.scheduled);
        dirty_ = true;
        if (result) {
            trigger.runs++;
            trigger.lastCallId = *result;
            // A quick run may have ended before deliver() returned.
            auto early = std::find_if(trigger.endedEarly.begin(), trigger.endedEarly.end(),
                                      [&](const auto& e) { return e.first == *result; });
            if (early != trigger.endedEarly.end()) {
                trigger.lastStatus = std::move(early->second);
                trigger.endedEarly.erase(early);
            } else {
                trigger.lastStatus = trigger.cron.sync ? "running" : "accepted";
            }
            trigger.record(p.scheduled, *result, trigger.lastStatus);
            continue;
        }
        trigger.failed++;
        trigger.lastStatus = "not started: " + result.error().message();
        trigger.record(p.scheduled, "", trigger.lastStatus);
        kLog.warn("{}: run at {} not started: {}", trigger.function.qualified(),
                  rfc3339(p.scheduled), result.error().message());
        if (runEnded(trigger.run) && trigger.waitingAt) {
            released_.push_back({p.trigger, *trigger.waitingAt});
            trigger.waitingAt.reset();
        }
    }
}

void CronSource::ended(const std::weak_ptr<Trigger>& weak, const RunEnd& end) {
    auto t = weak.lock();
    if (!t) {
        return;
    }
    std::lock_guard lock(mutex_);
    std::string status = end.failed ? fmt::format("failed ({})", end.status)
                                    : fmt::format("completed ({})", end.status);
    if (!t->settle(end.callId, status) && t->lastCallId != end.callId) {
        t->endedEarly.emplace_back(end.callId, status);
        if (t->endedEarly.size() > kEndedEarlyKept) {
            t->endedEarly.pop_front();
        }
    }
    if (t->lastCallId == end.callId) {
        t->lastStatus = std::move(status);
    }
    if (end.failed) {
        t->failed++;
    }
    if (runEnded(t->run) && t->waitingAt) {
        released_.push_back({t, *t->waitingAt});
        t->waitingAt.reset();
        wake_.notify_all();
    }
}

void CronSource::start() {
    std::lock_guard lock(mutex_);
    if (thread_.joinable() || stopping_) {
        return;
    }
    thread_ = std::thread([this] { loop(); });
}

void CronSource::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void CronSource::loop() {
    for (;;) {
        auto next = tick(config_.clock());
        std::unique_lock lock(mutex_);
        const uint64_t seen = generation_;
        auto woken = [&] { return stopping_ || !released_.empty() || generation_ != seen; };
        if (next) {
            wake_.wait_until(lock, *next, woken);
        } else {
            wake_.wait(lock, woken);
        }
        if (stopping_) {
            return;
        }
    }
}

std::vector<gateway::TriggerInfo> CronSource::list() const {
    std::lock_guard lock(mutex_);
    std::vector<gateway::TriggerInfo> out;
    for (const auto& [ref, t] : triggers_) {
        gateway::TriggerInfo info{
            .kind = "cron",
            .function = ref.name,
            .ns = ref.ns,
            .spec = t->cron.schedule.text(),
            .timeZone = t->cron.schedule.timeZone(),
            .mode = t->cron.sync ? "sync" : "async",
            .state = t->run.running > 0 ? "running" : "scheduled",
            .lastStatus = t->lastStatus,
            .lastCallId = t->lastCallId,
            .runs = t->runs,
            .skipped = t->skipped,
            .missed = t->missed,
            .failed = t->failed,
        };
        if (t->next) {
            info.nextRun = *t->next;
        }
        if (t->lastRun) {
            info.lastRun = *t->lastRun;
        }
        info.recentRuns.assign(t->recent.begin(), t->recent.end());
        out.push_back(std::move(info));
    }
    return out;
}

std::string CronSource::prometheusText() const {
    return {};
}

// --- the state file: {"version": 1, "lastRuns": [{"function", "namespace",
// "schedule", "lastRun"}]}, lastRun in Unix seconds.

std::string CronSource::stateJson() const {
    nlohmann::json runs = nlohmann::json::array();
    for (const auto& [ref, t] : triggers_) {
        if (t->lastRun) {
            runs.push_back({{"function", ref.name},
                            {"namespace", ref.ns},
                            {"schedule", t->key},
                            {"lastRun", t->lastRun->time_since_epoch().count()}});
        }
    }
    return nlohmann::json{{"version", 1}, {"lastRuns", runs}}.dump() + "\n";
}

void CronSource::saveState() {
    std::string text;
    {
        std::lock_guard lock(mutex_);
        if (!dirty_ || config_.stateFile.empty()) {
            return;
        }
        dirty_ = false;
        text = stateJson();
    }
    if (auto written = writeFileAtomic(config_.stateFile, text, 0600); !written) {
        kLog.warn("keeping the last runs in {}: {}", config_.stateFile.string(),
                  written.error().message());
    }
}

void CronSource::loadState() {
    std::error_code ec;
    if (config_.stateFile.empty() || !std::filesystem::exists(config_.stateFile, ec)) {
        return;
    }
    auto text = readFile(config_.stateFile);
    if (!text) {
        kLog.warn("{}; missed runs are not caught up", text.error().message());
        return;
    }
    try {
        auto doc = nlohmann::json::parse(*text);
        for (const auto& run : doc.at("lastRuns")) {
            api::FunctionRef ref{run.at("function").get<std::string>(),
                                 run.at("namespace").get<std::string>()};
            saved_[ref] = {run.at("schedule").get<std::string>(),
                           SysSeconds(std::chrono::seconds(run.at("lastRun").get<int64_t>()))};
        }
    } catch (const nlohmann::json::exception& e) {
        saved_.clear();
        kLog.warn("{}: {}; missed runs are not caught up", config_.stateFile.string(), e.what());
    }
}

} // namespace faasd::triggers
