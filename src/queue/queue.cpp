#include "queue/queue.hpp"

#include "queue/clock.hpp"
#include "queue/logger.hpp"

namespace faasd::queue {

Result<std::unique_ptr<Queue>> Queue::open(QueueConfig config, provider::Provider& provider) {
    if (config.workers == 0 || config.maxAttempts == 0 || config.callbackAttempts == 0) {
        return fail(Code::InvalidArgument, "the queue needs at least one worker and one attempt");
    }
    TRY_ASSIGN(auto store, withContext(Store::open(config.database, config.fullSync),
                                       "opening the async queue"));
    TRY_ASSIGN(auto entries, withContext(store->recover(), "recovering the async queue"));
    std::unique_ptr<Queue> q(new Queue(std::move(config), provider, std::move(store)));
    size_t replayed = 0;
    for (auto& e : entries) {
        q->items_ += 1;
        q->bytes_ += e.size;
        Task task{e.id, e.size, std::move(e.function)};
        if (e.status == "pending") {
            q->dispatcher_.add(std::move(task), e.enqueuedMs);
        } else if (e.status == "retrying") {
            q->dispatcher_.addDelayed(std::move(task), e.nextAtMs, e.enqueuedMs);
        } else {
            continue; // failed: only counted
        }
        ++replayed;
    }
    if (replayed > 0) {
        kLog.info("{} asynchronous requests to run from before the last stop", replayed);
    }
    return q;
}

Queue::Queue(QueueConfig config, provider::Provider& provider, std::unique_ptr<Store> store)
    : config_(std::move(config)), store_(std::move(store)), writer_(*store_, config_.keepCompleted),
      dispatcher_(config_, provider, *store_, writer_, [this](uint64_t size) { release(size); }) {}

Queue::~Queue() {
    stop();
}

void Queue::setFinishedListener(gateway::AsyncFinishedListener listener) {
    dispatcher_.setFinishedHook([listener = std::move(listener)](const Verdict& v) {
        if (listener) {
            listener({.callId = v.callId, .failed = v.failed, .status = v.status, .body = v.body});
        }
    });
}

void Queue::start(std::unique_ptr<Invoker> invoker) {
    dispatcher_.start(std::move(invoker));
}

void Queue::stop() {
    {
        std::lock_guard lock(mutex_);
        accepting_ = false;
    }
    dispatcher_.stop();
    writer_.stop();
}

Result<void> Queue::reserve(uint64_t size) {
    std::lock_guard lock(mutex_);
    if (!accepting_) {
        return fail(Code::Unavailable, "the queue is shutting down");
    }
    if (items_ + 1 > config_.maxItems) {
        return fail(Code::ResourceExhausted, "the queue is full: {} requests stored", items_);
    }
    if (bytes_ + size > config_.maxBytes) {
        return fail(Code::ResourceExhausted, "the queue is full: {} of {} bytes stored", bytes_,
                    config_.maxBytes);
    }
    items_ += 1;
    bytes_ += size;
    return {};
}

void Queue::release(uint64_t size) {
    std::lock_guard lock(mutex_);
    items_ -= 1;
    bytes_ -= size;
}

Result<std::string> Queue::enqueue(gateway::AsyncRequest request) {
    if (request.body.size() > config_.maxBodyBytes) {
        return fail(Code::InvalidArgument, "the body is larger than the queue's {} bytes",
                    config_.maxBodyBytes);
    }
    const uint64_t size = storedSize(request);
    TRY(reserve(size));
    const int64_t now = nowMs();
    std::optional<int64_t> id;
    auto written = writer_.apply([&](Store& s) -> Result<void> {
        TRY_ASSIGN(id, s.insert(request, now, size));
        return {};
    });
    if (!written || !id) {
        release(size);
        if (!written) {
            return fail(written.error());
        }
        return request.callId; // already stored: accepted once, not twice
    }
    dispatcher_.add({*id, size, api::FunctionRef{request.name, request.ns}}, now);
    return request.callId;
}

QueueStats Queue::stats() const {
    const DispatchStats d = dispatcher_.stats();
    QueueStats s;
    s.depth = d.depth;
    s.inFlight = d.inFlight;
    s.completed = d.completed;
    s.failed = d.failed;
    s.retried = d.retried;
    s.callbackFailed = d.callbackFailed;
    {
        std::lock_guard lock(mutex_);
        s.stored = items_;
    }
    if (d.oldestEnqueuedMs) {
        s.oldestAgeSeconds =
            std::max<double>(0, static_cast<double>(nowMs() - *d.oldestEnqueuedMs) / 1000);
    }
    return s;
}

std::map<api::FunctionRef, uint64_t> Queue::depthByFunction() const {
    return dispatcher_.depthByFunction();
}

} // namespace faasd::queue
