#include "queue/writer.hpp"

#include "queue/clock.hpp"
#include "queue/logger.hpp"

namespace faasd::queue {

namespace {

constexpr auto kPruneEvery = std::chrono::minutes(1);
// The thread wakes this often to prune even when nothing is written.
constexpr auto kIdleWake = std::chrono::seconds(10);

} // namespace

Writer::Writer(Store& store, std::chrono::milliseconds keepCompleted)
    : store_(store), keepCompleted_(keepCompleted) {
    thread_ = std::thread([this] { loop(); });
}

Writer::~Writer() {
    stop();
}

void Writer::stop() {
    {
        std::lock_guard lock(mutex_);
        stopped_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

Result<void> Writer::apply(Operation op) {
    auto done = std::make_shared<std::promise<Result<void>>>();
    auto result = done->get_future();
    TRY(submit({std::move(op), std::move(done)}));
    return result.get();
}

void Writer::post(Operation op) {
    if (auto submitted = submit({std::move(op), nullptr}); !submitted) {
        kLog.warn("recording a request's state: {}", submitted.error().message());
    }
}

Result<void> Writer::submit(Pending pending) {
    {
        std::lock_guard lock(mutex_);
        if (stopped_) {
            return fail(Code::Unavailable, "the queue is stopped");
        }
        pending_.push_back(std::move(pending));
    }
    cv_.notify_one();
    return {};
}

void Writer::loop() {
    auto lastPrune = std::chrono::steady_clock::now();
    std::vector<Pending> group;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            cv_.wait_for(lock, kIdleWake, [&] { return !pending_.empty() || stopped_; });
            if (pending_.empty() && stopped_) {
                return;
            }
            group.swap(pending_);
        }
        if (!group.empty()) {
            auto results = commitGroup(group);
            for (size_t i = 0; i < group.size(); ++i) {
                if (group[i].done) {
                    group[i].done->set_value(std::move(results[i]));
                } else if (!results[i]) {
                    kLog.warn("recording a request's state: {}", results[i].error().message());
                }
            }
            group.clear();
        }
        if (auto now = std::chrono::steady_clock::now(); now - lastPrune > kPruneEvery) {
            lastPrune = now;
            pruneNow();
        }
    }
}

std::vector<Result<void>> Writer::commitGroup(std::vector<Pending>& group) {
    std::vector<Result<void>> results;
    auto tx = store_.begin();
    if (!tx) {
        results.assign(group.size(), fail(tx.error().context("starting a transaction")));
        return results;
    }
    for (auto& pending : group) {
        results.push_back(pending.op(store_));
    }
    if (auto committed = tx->commit(); !committed) {
        // The transaction rolls back as it goes: none of the group happened.
        results.assign(group.size(), fail(committed.error().context("committing")));
    }
    return results;
}

void Writer::pruneNow() {
    if (auto pruned = store_.pruneCompleted(nowMs() - keepCompleted_.count()); !pruned) {
        kLog.warn("pruning completed requests: {}", pruned.error().message());
    }
}

} // namespace faasd::queue
