// The cluster queue's admin API (/system/async-requests) and its metrics.

#include "cluster/async_queue.hpp"
#include "queue/clock.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>

namespace faasd::cluster {

namespace {

// A request's item and done record, read together.
struct Found {
    std::optional<etcd::KeyValue> item;
    std::optional<etcd::KeyValue> done;
};

Result<Found> findRequest(etcd::Client& etcd, const QueueKeys& keys, const std::string& callId) {
    TRY_ASSIGN(auto read, etcd.txn({}, {etcd::Operation::get(keys.item(callId)),
                                        etcd::Operation::get(keys.doneRecord(callId))}));
    Found f;
    if (read.ranges.size() == 2) {
        if (!read.ranges[0].kvs.empty()) {
            f.item = std::move(read.ranges[0].kvs[0]);
        }
        if (!read.ranges[1].kvs.empty()) {
            f.done = std::move(read.ranges[1].kvs[0]);
        }
    }
    return f;
}

} // namespace

Result<std::vector<gateway::AsyncRequestInfo>>
ClusterQueue::list(const gateway::AsyncListFilter& filter) {
    // One read of both prefixes: a request that finishes meanwhile is
    // listed once.
    TRY_ASSIGN(auto read, withContext(etcd_.txn({}, {etcd::Operation::getPrefix(keys_.watched()),
                                                     etcd::Operation::getPrefix(keys_.done())}),
                                      "listing the queue"));
    if (read.ranges.size() != 2) {
        return fail(Code::Internal, "listing the queue: etcd answered {} ranges",
                    read.ranges.size());
    }
    std::set<std::string> claimed;
    std::vector<QueueItem> items;
    for (const auto& kv : read.ranges[0].kvs) {
        auto parsed = keys_.parse(kv.key);
        if (!parsed) {
            continue;
        }
        if (parsed->kind == QueueKeys::Kind::Claim) {
            claimed.insert(parsed->callId);
        } else if (auto item = decodeItem(kv.value)) {
            items.push_back(std::move(*item));
        }
    }
    for (const auto& kv : read.ranges[1].kvs) {
        if (auto item = decodeItem(kv.value)) {
            items.push_back(std::move(*item));
        }
    }
    std::vector<gateway::AsyncRequestInfo> out;
    for (const auto& item : items) {
        auto info = infoOf(item, claimed.contains(item.callId));
        if ((filter.status.empty() || info.status == filter.status) &&
            (filter.ns.empty() || info.ns == filter.ns)) {
            out.push_back(std::move(info));
        }
    }
    std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return a.enqueuedAt != b.enqueuedAt ? a.enqueuedAt > b.enqueuedAt : a.callId > b.callId;
    });
    if (out.size() > filter.limit) {
        out.resize(filter.limit);
    }
    return out;
}

Result<void> ClusterQueue::retry(const std::string& callId) {
    TRY_ASSIGN(auto found, findRequest(etcd_, keys_, callId));
    if (!found.item) {
        if (found.done) {
            return fail(Code::AlreadyExists, "request {} is completed, not failed", callId);
        }
        return fail(Code::NotFound, "no asynchronous request {}", callId);
    }
    TRY_ASSIGN(auto item, decodeItem(found.item->value));
    if (item.status != ItemStatus::Failed) {
        return fail(Code::AlreadyExists, "request {} is {}, not failed", callId,
                    toString(item.status));
    }
    item.status = ItemStatus::Pending;
    item.origin = config_.node;
    item.attempts = 0;
    item.nextAtMs = 0;
    item.lastError.clear();
    item.functionStatus = 0;
    item.callbackStatus.clear();
    item.finishedMs = 0;
    TRY_ASSIGN(
        auto written,
        etcd_.txn({etcd::Compare::modRevisionIs(keys_.item(callId), found.item->modRevision)},
                  {etcd::Operation::put(keys_.item(callId), encodeItem(item))}));
    if (!written.succeeded) {
        return fail(Code::AlreadyExists, "request {} changed meanwhile", callId);
    }
    return {};
}

Result<void> ClusterQueue::remove(const std::string& callId) {
    TRY_ASSIGN(auto found, findRequest(etcd_, keys_, callId));
    if (found.item) {
        TRY_ASSIGN(auto item, decodeItem(found.item->value));
        if (item.status != ItemStatus::Failed) {
            return fail(Code::AlreadyExists,
                        "request {} is {}: only failed or completed requests can be deleted",
                        callId, toString(item.status));
        }
        TRY_ASSIGN(auto removed, etcd_.txn({etcd::Compare::modRevisionIs(keys_.item(callId),
                                                                         found.item->modRevision)},
                                           {etcd::Operation::remove(keys_.item(callId)),
                                            etcd::Operation::remove(keys_.body(callId))}));
        if (!removed.succeeded) {
            return fail(Code::AlreadyExists, "request {} changed meanwhile", callId);
        }
        return {};
    }
    if (found.done) {
        TRY(etcd_.remove(keys_.doneRecord(callId)));
        return {};
    }
    return fail(Code::NotFound, "no asynchronous request {}", callId);
}

ClusterQueueStats ClusterQueue::stats() const {
    std::lock_guard lock(mutex_);
    const auto counts = mirror_.counts();
    ClusterQueueStats s{.items = counts.items,
                        .waiting = counts.waiting,
                        .claimed = counts.claimed,
                        .running = running_,
                        .completed = completed_,
                        .failed = failed_,
                        .retried = retried_,
                        .lost = lost_,
                        .callbackFailed = callbackFailed_};
    if (counts.oldestUnfinishedMs) {
        s.oldestAgeSeconds = std::max<double>(
            0, static_cast<double>(queue::nowMs() - *counts.oldestUnfinishedMs) / 1000);
    }
    return s;
}

std::map<api::FunctionRef, uint64_t> ClusterQueue::depthByFunction() const {
    std::lock_guard lock(mutex_);
    return mirror_.depthByFunction();
}

std::string ClusterQueue::prometheusText() const {
    const ClusterQueueStats s = stats();
    std::string out;
    auto series = [&](const char* name, const char* type, const char* help, auto value) {
        out += fmt::format("# HELP {0} {1}\n# TYPE {0} {2}\n{0} {3}\n", name, help, type, value);
    };
    series("faasd_cluster_queue_pending", "gauge",
           "Asynchronous requests of the cluster waiting to run or to retry.", s.waiting);
    series("faasd_cluster_queue_stored", "gauge",
           "Asynchronous requests of the cluster stored (unfinished and failed).", s.items);
    series("faasd_cluster_queue_running", "gauge", "Asynchronous requests this node runs.",
           s.running);
    series("faasd_cluster_queue_completed_total", "counter",
           "Asynchronous requests this node completed.", s.completed);
    series("faasd_cluster_queue_failed_total", "counter",
           "Asynchronous requests this node moved to the dead-letter list.", s.failed);
    series("faasd_cluster_queue_retries_total", "counter",
           "Invocations this node retried after a failure.", s.retried);
    series("faasd_cluster_queue_lost_total", "counter",
           "Runs on this node whose claim lapsed before they ended (run again elsewhere).", s.lost);
    series("faasd_cluster_queue_callback_failed_total", "counter",
           "Callbacks this node could not deliver.", s.callbackFailed);
    series("faasd_cluster_queue_oldest_age_seconds", "gauge",
           "Age of the cluster's oldest request not yet finished.",
           fmt::format("{:.3f}", s.oldestAgeSeconds));
    return out;
}

} // namespace faasd::cluster
