#include "queue/attempt.hpp"

#include "common/strings.hpp"

#include <algorithm>
#include <fmt/format.h>

namespace faasd::queue {

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

// --- invocations

std::chrono::milliseconds RetryPolicy::delayAfter(uint64_t attempts) const {
    const uint64_t shift = std::min<uint64_t>(attempts > 0 ? attempts - 1 : 0, 20);
    return std::min(retryDelay * (int64_t{1} << shift), maxRetryDelay);
}

bool retryableStatus(int status) {
    return status == 429 || status == 502 || status == 503 || status == 504;
}

Judgement judgeAttempt(const Outcome& outcome, uint64_t attempts, const RetryPolicy& policy) {
    Judgement j;
    const bool retryable = !outcome.reached || retryableStatus(outcome.status);
    if (!outcome.reached) {
        j.error = "invoking: " + outcome.error;
    } else if (outcome.status >= 400) {
        j.error = fmt::format("the function answered {}", outcome.status);
    }
    if (retryable && attempts < policy.maxAttempts) {
        j.next = Judgement::Next::Retry;
        j.delay = policy.delayAfter(attempts);
        return j;
    }
    j.next = retryable ? Judgement::Next::Fail : Judgement::Next::Complete;
    j.status = outcome.reached ? outcome.status : 503;
    j.body = outcome.reached ? outcome.body : outcome.error;
    return j;
}

// --- callbacks

HeaderList callbackHeaders(const Job& job, const Outcome& outcome, int status, double seconds) {
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
    return headers;
}

Delivery deliverCallback(Invoker& invoker, AbortSignal& abort, const CallbackPolicy& policy,
                         const Job& job, const Outcome& outcome, int status, double seconds,
                         std::string& error) {
    const HeaderList headers = callbackHeaders(job, outcome, status, seconds);
    const std::string& body = outcome.reached ? outcome.body : outcome.error;
    if (auto allowed = policy.outbound.check(job.callbackUrl); !allowed) {
        error = "callback refused: " + allowed.error().message(); // a name may point elsewhere now
        return Delivery::Failed;
    }
    for (unsigned attempt = 1;; ++attempt) {
        Outcome answer = invoker.callback(job.callbackUrl, headers, body);
        if (answer.reached && answer.status < 300) {
            return Delivery::Delivered;
        }
        error = answer.reached
                    ? fmt::format("callback to {} answered {}", job.callbackUrl, answer.status)
                    : fmt::format("callback to {}: {}", job.callbackUrl, answer.error);
        const bool again = !answer.reached || answer.status >= 500 || answer.status == 429;
        if (!again || attempt >= policy.attempts) {
            return Delivery::Failed;
        }
        auto delay = policy.retryDelay * (1 << std::min(attempt - 1, 16u));
        if (!abort.sleepFor(delay)) {
            return Delivery::Aborted;
        }
    }
}

RetryPolicy retryPolicyOf(const QueueConfig& config) {
    return {.maxAttempts = config.maxAttempts,
            .retryDelay = config.retryDelay,
            .maxRetryDelay = config.maxRetryDelay};
}

CallbackPolicy callbackPolicyOf(const QueueConfig& config) {
    return {.attempts = config.callbackAttempts,
            .retryDelay = config.callbackRetryDelay,
            .outbound = config.callbackPolicy};
}

} // namespace faasd::queue
