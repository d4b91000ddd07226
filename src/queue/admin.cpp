// The queue's admin API (/system/async-requests) and its metrics.

#include "queue/queue.hpp"

#include <fmt/format.h>

namespace faasd::queue {

Result<std::vector<gateway::AsyncRequestInfo>> Queue::list(const gateway::AsyncListFilter& filter) {
    return store_->list(filter);
}

Result<void> Queue::retry(const std::string& callId) {
    Entry entry;
    TRY(writer_.apply([&](Store& s) -> Result<void> {
        TRY_ASSIGN(auto found, s.findByCallId(callId));
        if (!found) {
            return fail(Code::NotFound, "no asynchronous request {}", callId);
        }
        if (found->status != "failed") {
            return fail(Code::AlreadyExists, "request {} is {}, not failed", callId, found->status);
        }
        TRY(s.resetFailed(found->id));
        entry = *found;
        return {};
    }));
    dispatcher_.add({entry.id, entry.size, std::move(entry.function)}, entry.enqueuedMs);
    return {};
}

Result<void> Queue::remove(const std::string& callId) {
    Entry entry;
    TRY(writer_.apply([&](Store& s) -> Result<void> {
        TRY_ASSIGN(auto found, s.findByCallId(callId));
        if (!found) {
            return fail(Code::NotFound, "no asynchronous request {}", callId);
        }
        if (found->status != "failed" && found->status != "completed") {
            return fail(Code::AlreadyExists,
                        "request {} is {}: only failed or completed requests can be deleted",
                        callId, found->status);
        }
        TRY(s.erase(found->id));
        entry = *found;
        return {};
    }));
    if (entry.status == "failed") {
        release(entry.size); // completed ones no longer counted
    }
    return {};
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
    series("faasd_queue_callback_failed_total", "counter", "Callbacks that could not be delivered.",
           s.callbackFailed);
    series("faasd_queue_oldest_age_seconds", "gauge", "Age of the oldest request not yet finished.",
           fmt::format("{:.3f}", s.oldestAgeSeconds));
    return out;
}

} // namespace faasd::queue
