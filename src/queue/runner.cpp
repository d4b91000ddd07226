#include "queue/runner.hpp"

#include "common/strings.hpp"
#include "queue/clock.hpp"
#include "queue/logger.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace faasd::queue {

namespace {

bool retryableStatus(int status) {
    return status == 429 || status == 502 || status == 503 || status == 504;
}

} // namespace

// --- AbortSignal

void AbortSignal::raise() {
    {
        std::lock_guard lock(mutex_);
        raised_ = true;
    }
    cv_.notify_all();
}

bool AbortSignal::raised() const {
    std::lock_guard lock(mutex_);
    return raised_;
}

bool AbortSignal::sleepFor(std::chrono::milliseconds delay) {
    std::unique_lock lock(mutex_);
    return !cv_.wait_for(lock, delay, [&] { return raised_; });
}

// --- Runner

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
    const bool retryable = !outcome.reached || retryableStatus(outcome.status);
    std::string error;
    if (!outcome.reached) {
        error = "invoking: " + outcome.error;
    } else if (outcome.status >= 400) {
        error = fmt::format("the function answered {}", outcome.status);
    }
    if (retryable && attempts < config_.maxAttempts) {
        auto delay = config_.retryDelay.count() << std::min<uint64_t>(attempts - 1, 20);
        delay = std::min<int64_t>(delay, config_.maxRetryDelay.count());
        const int64_t due = nowMs() + delay;
        writer_.post([id, due, error](Store& s) { return s.markRetrying(id, due, error); });
        kLog.debug("{} ({}): attempt {} failed ({}); again in {} ms", job.callId, job.function.name,
                   attempts, error, delay);
        return {.kind = Verdict::Kind::Again, .dueMs = due, .retried = true};
    }
    const int status = outcome.reached ? outcome.status : 503;
    Verdict verdict{.kind = Verdict::Kind::Finished,
                    .failed = retryable,
                    .callId = job.callId,
                    .status = status,
                    .body = outcome.reached ? outcome.body : outcome.error};
    std::string callbackStatus;
    if (!job.callbackUrl.empty()) {
        std::string callbackError;
        switch (deliver(job, outcome, status, seconds, callbackError)) {
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
    const std::string final = retryable ? "failed" : "completed";
    if (retryable) {
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

Runner::Delivery Runner::deliver(const Job& job, const Outcome& outcome, int status, double seconds,
                                 std::string& error) {
    HeaderList headers;
    for (const auto& [k, v] : outcome.headers) {
        if (!iequals(k, "X-Call-Id") && !iequals(k, "X-Function-Status") &&
            !iequals(k, "X-Function-Name") && !iequals(k, "X-Duration-Seconds")) {
            headers.emplace_back(k, v);
        }
    }
    headers.emplace_back("X-Call-Id", job.callId);
    headers.emplace_back("X-Function-Status", std::to_string(status));
    headers.emplace_back("X-Function-Name", job.function.name);
    headers.emplace_back("X-Duration-Seconds", fmt::format("{:.6f}", seconds));
    const std::string& body = outcome.reached ? outcome.body : outcome.error;
    if (auto allowed = config_.callbackPolicy.check(job.callbackUrl); !allowed) {
        error = "callback refused: " + allowed.error().message(); // a name may point elsewhere now
        return Delivery::Failed;
    }
    for (unsigned attempt = 1;; ++attempt) {
        Outcome answer = invoker_.callback(job.callbackUrl, headers, body);
        if (answer.reached && answer.status < 300) {
            return Delivery::Delivered;
        }
        error = answer.reached
                    ? fmt::format("callback to {} answered {}", job.callbackUrl, answer.status)
                    : fmt::format("callback to {}: {}", job.callbackUrl, answer.error);
        const bool again = !answer.reached || answer.status >= 500 || answer.status == 429;
        if (!again || attempt >= config_.callbackAttempts) {
            return Delivery::Failed;
        }
        auto delay = config_.callbackRetryDelay * (1 << std::min(attempt - 1, 16u));
        if (!abort_.sleepFor(delay)) {
            return Delivery::Aborted;
        }
    }
}

} // namespace faasd::queue
