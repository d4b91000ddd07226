#include "cluster/async_queue.hpp"

#include "cluster/queue_logger.hpp"
#include "cluster/queue_runner.hpp"
#include "queue/clock.hpp"

#include <algorithm>

namespace faasd::cluster {

namespace {

// What a transaction carries besides an item and its body: keys, framing.
constexpr uint64_t kTxnOverhead = 1'024;

} // namespace

Result<std::unique_ptr<ClusterQueue>> ClusterQueue::open(ClusterQueueConfig config,
                                                         etcd::Client& etcd, LeaseSource lease,
                                                         provider::Provider* provider) {
    if (config.workers == 0 || config.retry.maxAttempts == 0 || config.callback.attempts == 0) {
        return fail(Code::InvalidArgument, "the queue needs at least one worker and one attempt");
    }
    if (config.node.empty()) {
        return fail(Code::InvalidArgument, "the queue needs this node's name");
    }
    if (config.maxBodyBytes + kTxnOverhead > config.maxRequestBytes) {
        return fail(Code::InvalidArgument,
                    "a queued body of {} bytes would not fit in etcd's requests of {} bytes",
                    config.maxBodyBytes, config.maxRequestBytes);
    }
    std::unique_ptr<ClusterQueue> q(
        new ClusterQueue(std::move(config), etcd, std::move(lease), provider));
    TRY(withContext(q->watch(), "watching the cluster queue"));
    return q;
}

ClusterQueue::ClusterQueue(ClusterQueueConfig config, etcd::Client& etcd, LeaseSource lease,
                           provider::Provider* provider)
    : config_(std::move(config)), keys_(config_.prefix), etcd_(etcd), lease_(std::move(lease)),
      provider_(provider), mirror_(keys_, config_.node, config_.foreignDelay) {}

ClusterQueue::~ClusterQueue() {
    stop();
}

Result<void> ClusterQueue::watch() {
    TRY_ASSIGN(auto range, etcd_.getPrefix(keys_.watched()));
    {
        std::lock_guard lock(mutex_);
        mirror_.reset(range.kvs, range.revision, queue::nowMs());
    }
    etcd::WatchHandlers handlers{
        .events =
            [this](const std::vector<etcd::Event>& events, int64_t revision) {
                {
                    std::lock_guard lock(mutex_);
                    mirror_.apply(events, revision, queue::nowMs());
                }
                workCv_.notify_all();
            },
        .reset = [this](int64_t) { reread(); }};
    TRY_ASSIGN(watch_, etcd_.watchPrefix(keys_.watched(), range.revision + 1, std::move(handlers)));
    return {};
}

void ClusterQueue::reread() {
    // On the watch's thread: no event comes meanwhile. While etcd does not
    // answer, the watch itself is down too; the next reset comes with it.
    auto range = etcd_.getPrefix(keys_.watched());
    if (!range) {
        kQueueLog.warn("reading the queue again after its watch was reset: {}",
                       range.error().message());
        return;
    }
    {
        std::lock_guard lock(mutex_);
        mirror_.reset(range->kvs, range->revision, queue::nowMs());
    }
    workCv_.notify_all();
}

void ClusterQueue::setFinishedListener(gateway::AsyncFinishedListener listener) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
}

void ClusterQueue::start(std::unique_ptr<queue::Invoker> invoker) {
    std::lock_guard lock(mutex_);
    if (state_ != State::Idle) {
        return;
    }
    state_ = State::Running;
    invoker_ = std::move(invoker);
    for (unsigned i = 0; i < config_.workers; ++i) {
        workers_.emplace_back([this] { workerLoop(); });
    }
}

void ClusterQueue::stop() {
    stop(config_.shutdownTimeout);
}

void ClusterQueue::stop(std::chrono::milliseconds timeout) {
    {
        std::unique_lock lock(mutex_);
        accepting_ = false;
        if (state_ == State::Running) {
            state_ = State::Stopping;
            workCv_.notify_all();
            if (!idleCv_.wait_for(lock, timeout, [&] { return running_ == 0; })) {
                kQueueLog.warn("{} asynchronous requests still running after {} ms; their claims "
                               "are given back to the other nodes",
                               running_, timeout.count());
                abort_.raise();
                invoker_->cancel();
            }
        }
        state_ = State::Stopped;
    }
    for (auto& w : workers_) {
        if (w.joinable()) {
            w.join();
        }
    }
    watch_.reset(); // outside the lock: its handlers take it
}

void ClusterQueue::workerLoop() {
    ItemRunner runner({.config = config_,
                       .keys = keys_,
                       .etcd = etcd_,
                       .invoker = *invoker_,
                       .abort = abort_,
                       .provider = provider_,
                       .lease = lease_,
                       .doneLease = [this] { return doneLease(); },
                       .claimHeld =
                           [this](const std::string& callId, int64_t revision) {
                               std::lock_guard lock(mutex_);
                               return mirror_.claimHeld(callId, revision);
                           }});
    std::unique_lock lock(mutex_);
    while (state_ == State::Running) {
        const int64_t now = queue::nowMs();
        const bool leased = lease_() != 0;
        auto candidate = leased ? mirror_.take(now) : std::nullopt;
        if (!candidate) {
            std::chrono::milliseconds wait{1'000}; // also: a lease may come
            if (auto due = leased ? mirror_.nextDueMs(now) : std::nullopt) {
                wait = std::clamp(std::chrono::milliseconds(*due - now),
                                  std::chrono::milliseconds(1), wait);
            }
            workCv_.wait_for(lock, wait);
            continue;
        }
        running_++;
        lock.unlock();
        RunResult result = runner.run(*candidate);
        gateway::AsyncFinishedListener listener;
        if (result.finished) {
            lock.lock();
            listener = listener_;
            lock.unlock();
            if (listener) {
                listener(*result.finished);
            }
        }
        lock.lock();
        running_--;
        auto how = QueueMirror::Release::Done;
        switch (result.end) {
        case RunResult::End::NotClaimed:
            how = QueueMirror::Release::LostRace;
            break;
        case RunResult::End::EtcdError:
            how = QueueMirror::Release::Error;
            break;
        case RunResult::End::Retried:
            retried_++;
            break;
        case RunResult::End::Completed:
            completed_++;
            break;
        case RunResult::End::Failed:
            failed_++;
            break;
        case RunResult::End::Lost:
            lost_++;
            break;
        case RunResult::End::Released:
            break;
        }
        callbackFailed_ += result.callbackFailed ? 1 : 0;
        mirror_.release(*candidate, how, queue::nowMs());
        idleCv_.notify_all();
        workCv_.notify_all(); // what it held may be another worker's now
    }
}

int64_t ClusterQueue::doneLease() {
    if (config_.keepCompleted.count() <= 0) {
        return 0;
    }
    std::lock_guard lock(leaseMutex_);
    const auto now = std::chrono::steady_clock::now();
    const auto window =
        std::max<std::chrono::milliseconds>(config_.keepCompleted / 10, std::chrono::seconds(1));
    if (doneLease_ != 0 && now - doneLeaseAt_ < window) {
        return doneLease_;
    }
    auto ttl = std::chrono::ceil<std::chrono::seconds>(config_.keepCompleted);
    auto granted = etcd_.grantLease(std::max(ttl, std::chrono::seconds(1)));
    if (!granted) {
        kQueueLog.warn("granting the lease of completed requests' records: {}",
                       granted.error().message());
        return 0; // this one is not listed once completed
    }
    doneLease_ = *granted;
    doneLeaseAt_ = now;
    return doneLease_;
}

Result<std::string> ClusterQueue::enqueue(gateway::AsyncRequest request) {
    if (request.callId.empty()) {
        return fail(Code::InvalidArgument, "an asynchronous request needs a call id");
    }
    if (request.body.size() > config_.maxBodyBytes) {
        return fail(Code::InvalidArgument, "the body is larger than the queue's {} bytes",
                    config_.maxBodyBytes);
    }
    const QueueItem item = itemOf(request, config_.node, queue::nowMs());
    std::string text = encodeItem(item);
    // The call id is in each of the transaction's four keys.
    const uint64_t size =
        text.size() + request.body.size() + 4 * request.callId.size() + kTxnOverhead;
    if (size > config_.maxRequestBytes) {
        return fail(Code::InvalidArgument,
                    "the request takes {} bytes stored, more than etcd's {} bytes", size,
                    config_.maxRequestBytes);
    }
    {
        std::lock_guard lock(mutex_);
        if (!accepting_) {
            return fail(Code::Unavailable, "the queue is shutting down");
        }
        const auto counts = mirror_.counts();
        if (counts.items >= config_.maxItems) {
            return fail(Code::ResourceExhausted, "the queue is full: {} requests stored",
                        counts.items);
        }
        if (counts.bytes + request.body.size() > config_.maxBytes) {
            return fail(Code::ResourceExhausted, "the queue is full: {} of {} bytes stored",
                        counts.bytes, config_.maxBytes);
        }
    }
    const std::string& id = request.callId;
    std::vector<etcd::Operation> ops{etcd::Operation::put(keys_.item(id), std::move(text))};
    if (!request.body.empty()) {
        ops.push_back(etcd::Operation::put(keys_.body(id), std::move(request.body)));
    }
    // Stored once: a retried accept of the same call id (or one of a
    // request completed since) writes nothing.
    TRY(withContext(etcd_.txn({etcd::Compare::missing(keys_.item(id)),
                               etcd::Compare::missing(keys_.doneRecord(id))},
                              ops),
                    "storing the request in etcd"));
    return request.callId;
}

} // namespace faasd::cluster
