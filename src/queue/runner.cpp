#include "queue/runner.hpp"

#include "queue/clock.hpp"
#include "queue/logger.hpp"

#include <fmt/format.h>

namespace faasd::queue {

Verdict Runner::run(int64_t id) {
    auto loaded = store_.load(id);
    if (!loaded) {
        kLog.warn("loading request {}: {}", id, loaded.error().message());
        // Try again later rather than lose it.
        return {.kind = Verdict::Kind::Again, .dueMs = nowMs() + config_.retryDelay.count()};
    }
    if (!*loaded) {
        return {.kind = Verdict::Kind::Gone};
    }
    Job& job = **loaded;
    job.attempts++;
    const uint64_t attempts = job.attempts;
    writer_.post([id, attempts](Store& s) { return s.markRunning(id, attempts); });

    if (provider_ != nullptr) {
        job.timeout = provider_->upstreamTimeout(job.function.name, job.function.ns);
    }
    auto started = std::chrono::steady_clock::now();
    Outcome outcome = invoker_.invoke(job);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (abort_.raised()) {
        return {.kind = Verdict::Kind::Aborted};
    }
    Judgement judged = judgeAttempt(outcome, attempts, retry_);
    std::string error = judged.error;
    if (judged.next == Judgement::Next::Retry) {
        const int64_t due = nowMs() + judged.delay.count();
        writer_.post([id, due, error](Store& s) { return s.markRetrying(id, due, error); });
        kLog.debug("{} ({}): attempt {} failed ({}); again in {} ms", job.callId, job.function.name,
                   attempts, error, judged.delay.count());
        return {.kind = Verdict::Kind::Again, .dueMs = due, .retried = true};
    }
    const bool failed = judged.next == Judgement::Next::Fail;
    const int status = judged.status;
    Verdict verdict{.kind = Verdict::Kind::Finished,
                    .failed = failed,
                    .callId = job.callId,
                    .status = status,
                    .body = std::move(judged.body)};
    std::string callbackStatus;
    if (!job.callbackUrl.empty()) {
        std::string callbackError;
        switch (deliverCallback(invoker_, abort_, callback_, job, outcome, status, seconds,
                                callbackError)) {
        case Delivery::Aborted:
            return {.kind = Verdict::Kind::Aborted};
        case Delivery::Delivered:
            callbackStatus = "delivered";
            break;
        case Delivery::Failed:
            callbackStatus = "failed";
            error += (error.empty() ? "" : "; ") + callbackError;
            kLog.warn("{} ({}): {}", job.callId, job.function.name, callbackError);
            verdict.callbackFailed = true;
            break;
        }
    }
    const std::string final = failed ? "failed" : "completed";
    if (failed) {
        kLog.warn("{} ({}): giving up after {} attempts: {}", job.callId, job.function.name,
                  attempts, error);
    }
    const int64_t now = nowMs();
    // Waited for: once counted as finished, the database says so too.
    auto recorded = writer_.apply([id, final, status, error, callbackStatus, now](Store& s) {
        return s.markFinished(id, final, status, error, callbackStatus, now);
    });
    if (!recorded) {
        kLog.warn("{} ({}): recording it {}: {}", job.callId, job.function.name, final,
                  recorded.error().message());
    }
    return verdict;
}

} // namespace faasd::queue
