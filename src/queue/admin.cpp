// The queue's admin API (/system/async-requests) and its metrics.

#include "queue/queue.hpp"

#include <fmt/format.h>

namespace faasd::queue {

namespace {

int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace

Result<std::vector<gateway::AsyncRequestInfo>>
Queue::list(const gateway::AsyncListFilter& filter) {
    return store_->list(filter);
}

Result<void> Queue::retry(const std::string& callId) {
    Entry entry;
    TRY(write(
        [&](Store& s) -> Result<void> {
            TRY_ASSIGN(auto found, s.findByCallId(callId));
            if (!found) {
                return fail(Code::NotFound, "no asynchronous request {}", callId);
            }
            if (found->status != "failed") {
                return fail(Code::AlreadyExists, "request {} is {}, not failed", callId,
                            found->status);
            }
            TRY(s.resetFailed(found->id));
            entry = *found;
            return {};
        },
        true));
    std::lock_guard lock(mutex_);
    functions_[entry.function].ready.push_back({entry.id, entry.size});
    unfinished_.emplace(entry.id, entry.enqueuedMs);
    dispatchCv_.notify_one();
    return {};
}

Result<void> Queue::remove(const std::string& callId) {
    Entry entry;
    TRY(write(
        [&](Store& s) -> Result<void> {
            TRY_ASSIGN(auto found, s.findByCallId(callId));
            if (!found) {
                return fail(Code::NotFound, "no asynchronous request {}", callId);
            }
            if (found->status != "failed" && found->status != "completed") {
                return fail(Code::AlreadyExists, "request {} is {}: only failed or completed "
                            "requests can be deleted", callId, found->status);
            }
            TRY(s.erase(found->id));
            entry = *found;
            return {};
        },
        true));
    if (entry.status == "failed") {
        std::lock_guard lock(mutex_);
        items_ -= 1;
        bytes_ -= entry.size;
    }
    return {};
}

QueueStats Queue::stats() const {
    std::lock_guard lock(mutex_);
    QueueStats s;
    for (const auto& [name, st] : functions_) {
        s.depth += st.ready.size();
    }
    s.depth += delayed_.size() + tasks_.size();
    s.inFlight = running_ - tasks_.size();
    s.completed = completed_;
    s.failed = failed_;
    s.retried = retried_;
    s.callbackFailed = callbackFailed_;
    s.stored = items_;
    if (!unfinished_.empty()) {
        s.oldestAgeSeconds =
            std::max<double>(0, static_cast<double>(nowMs() - unfinished_.begin()->second) / 1000);
    }
    return s;
}

std::string Queue::prometheusText() const {
    const QueueStats s = stats();
    std::string out;
    auto series = [&](const char* name, const char* type, const char* help, auto value) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
    };
    series("faasd_queue_depth", "gauge", "Asynchronous requests waiting to run or to retry.",
           s.depth);
    series("faasd_queue_in_flight", "gauge", "Asynchronous requests being run.", s.inFlight);
    series("faasd_queue_stored", "gauge",
           "Asynchronous requests stored and counted against the queue's bound.", s.stored);
    series("faasd_queue_completed_total", "counter", "Asynchronous requests completed.",
           s.completed);
    series("faasd_queue_failed_total", "counter",
           "Asynchronous requests moved to the dead-letter list.", s.failed);
    series("faasd_queue_retried_total", "counter", "Invocations retried after a failure.",
           s.retried);
    series("faasd_queue_callback_failed_total", "counter",
           "Callbacks that could not be delivered.", s.callbackFailed);
    series("faasd_queue_oldest_age_seconds", "gauge",
           "Age of the oldest request not yet finished.", fmt::format("{:.3f}", s.oldestAgeSeconds));
    return out;
}

} // namespace faasd::queue
