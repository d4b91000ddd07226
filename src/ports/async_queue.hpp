#pragma once

// Where /async-function/ requests go. The durable queue implements it: it
// must persist the request before enqueue() returns, because the caller is
// then told 202. Without a queue the gateway answers 501.

#include "api/function_ref.hpp"
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace faasd::gateway {

struct AsyncRequest {
    std::string callId; // X-Call-Id sent back with the 202
    std::string name;   // function
    std::string ns;
    std::string method;
    std::string path;                                         // forwarded path, "/" by default
    std::string query;                                        // raw query string, without '?'
    std::vector<std::pair<std::string, std::string>> headers; // hop-by-hop removed
    std::string body;
    std::string callbackUrl; // X-Callback-Url, may be empty
};

// One stored request as /system/async-requests lists it.
struct AsyncRequestInfo {
    std::string callId;
    std::string function;
    std::string ns;
    std::string method;
    std::string path;
    std::string status; // pending, running, retrying, completed, failed
    uint64_t attempts = 0;
    std::chrono::system_clock::time_point enqueuedAt{};
    std::string lastError;
    std::string callbackUrl;
    std::string callbackStatus; // "", pending, delivered, failed
};

struct AsyncListFilter {
    std::string status; // empty: all
    std::string ns;     // empty: all
    size_t limit = 100;
};

// A request the queue is done with: completed, or failed for good (the
// dead-letter list). The function's last answer, or 503 when none came.
struct AsyncFinished {
    std::string callId;
    bool failed = false;
    int status = 0;
    std::string body;
};
using AsyncFinishedListener = std::function<void(const AsyncFinished&)>;

class AsyncQueue {
public:
    virtual ~AsyncQueue() = default;

    // Blocking; called off the I/O threads. Returns the call id, which is
    // request.callId. ResourceExhausted when the queue is full.
    virtual Result<std::string> enqueue(AsyncRequest request) = 0;

    // Larger bodies are refused with 413 before enqueue().
    virtual uint64_t maxBodyBytes() const { return std::numeric_limits<uint64_t>::max(); }

    // The admin API (/system/async-requests). Newest first. retry(): a failed
    // request goes back to pending (NotFound, AlreadyExists when not failed);
    // remove(): deletes a failed or completed one (AlreadyExists otherwise).
    virtual Result<std::vector<AsyncRequestInfo>> list(const AsyncListFilter&) {
        return fail(Code::Unimplemented, "listing asynchronous requests is not supported");
    }
    virtual Result<void> retry(const std::string&) {
        return fail(Code::Unimplemented, "retrying asynchronous requests is not supported");
    }
    virtual Result<void> remove(const std::string&) {
        return fail(Code::Unimplemented, "deleting asynchronous requests is not supported");
    }

    // Called from a worker once per finished request, after the database
    // records it; set before the workers start. Keep it short: the worker
    // waits for it.
    virtual void setFinishedListener(AsyncFinishedListener) {}

    // Requests waiting, per function with any (the metrics history's depth).
    virtual std::map<api::FunctionRef, uint64_t> depthByFunction() const { return {}; }

    // Prometheus text of the queue's own series (depth, in flight, ...).
    virtual std::string prometheusText() const { return {}; }
};

} // namespace faasd::gateway
