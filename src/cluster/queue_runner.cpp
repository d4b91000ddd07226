#include "cluster/queue_runner.hpp"

#include "cluster/queue_logger.hpp"
#include "queue/clock.hpp"

#include <algorithm>

namespace faasd::cluster {

RunResult ItemRunner::run(const QueueMirror::Candidate& candidate) {
    const std::string& id = candidate.callId;
    const int64_t lease = c_.lease();
    if (lease == 0) {
        return {.end = RunResult::End::EtcdError};
    }
    QueueItem item = candidate.item;
    item.attempts++;
    auto claim =
        c_.etcd.txn({etcd::Compare::missing(c_.keys.claim(id)),
                     etcd::Compare::modRevisionIs(c_.keys.item(id), candidate.itemRevision)},
                    {etcd::Operation::put(c_.keys.claim(id), c_.config.node, lease),
                     etcd::Operation::put(c_.keys.item(id), encodeItem(item)),
                     etcd::Operation::get(c_.keys.body(id))});
    if (!claim) {
        kQueueLog.warn("{}: claiming it: {}", id, claim.error().message());
        return {.end = RunResult::End::EtcdError};
    }
    if (!claim->succeeded) {
        return {.end = RunResult::End::NotClaimed};
    }
    const int64_t claimRevision = claim->revision;
    std::string body;
    if (!claim->ranges.empty() && !claim->ranges[0].kvs.empty()) {
        body = std::move(claim->ranges[0].kvs[0].value);
    }
    queue::Job job = jobOf(item, std::move(body));
    if (c_.provider != nullptr) {
        job.timeout = c_.provider->upstreamTimeout(job.function.name, job.function.ns);
    }

    const auto started = std::chrono::steady_clock::now();
    const queue::Outcome outcome = c_.invoker.invoke(job);
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    if (c_.abort.raised()) {
        releaseClaim(id, claimRevision);
        return {.end = RunResult::End::Released};
    }

    queue::Judgement judged = queue::judgeAttempt(outcome, item.attempts, c_.config.retry);
    if (judged.next == queue::Judgement::Next::Retry) {
        item.status = ItemStatus::Retrying;
        item.nextAtMs = queue::nowMs() + judged.delay.count();
        item.lastError = judged.error;
        auto settled = settle(id, claimRevision,
                              {etcd::Operation::put(c_.keys.item(id), encodeItem(item)),
                               etcd::Operation::remove(c_.keys.claim(id))});
        if (!settled) {
            return {.end = RunResult::End::Released};
        }
        if (!*settled) {
            kQueueLog.info("{} ({}): the claim lapsed during attempt {}; another node runs it", id,
                           item.function, item.attempts);
            return {.end = RunResult::End::Lost};
        }
        kQueueLog.debug("{} ({}): attempt {} failed ({}); again in {} ms", id, item.function,
                        item.attempts, judged.error, judged.delay.count());
        return {.end = RunResult::End::Retried};
    }

    // Finished. The callback goes first (at least once); a run whose claim
    // lapsed meanwhile leaves the callback to the node that runs it again.
    if (!c_.claimHeld(id, claimRevision)) {
        kQueueLog.info("{} ({}): the claim lapsed during attempt {}; another node runs it", id,
                       item.function, item.attempts);
        return {.end = RunResult::End::Lost};
    }
    const bool failed = judged.next == queue::Judgement::Next::Fail;
    RunResult result{.end = failed ? RunResult::End::Failed : RunResult::End::Completed};
    std::string error = judged.error;
    if (!item.callbackUrl.empty()) {
        std::string callbackError;
        switch (queue::deliverCallback(c_.invoker, c_.abort, c_.config.callback, job, outcome,
                                       judged.status, seconds, callbackError)) {
        case queue::Delivery::Aborted:
            releaseClaim(id, claimRevision);
            return {.end = RunResult::End::Released};
        case queue::Delivery::Delivered:
            item.callbackStatus = "delivered";
            break;
        case queue::Delivery::Failed:
            item.callbackStatus = "failed";
            error += (error.empty() ? "" : "; ") + callbackError;
            kQueueLog.warn("{} ({}): {}", id, item.function, callbackError);
            result.callbackFailed = true;
            break;
        }
    }
    if (failed) {
        kQueueLog.warn("{} ({}): giving up after {} attempts: {}", id, item.function, item.attempts,
                       error);
    }
    item.status = failed ? ItemStatus::Failed : ItemStatus::Completed;
    item.lastError = error;
    item.functionStatus = judged.status;
    item.finishedMs = queue::nowMs();
    item.nextAtMs = 0;
    std::vector<etcd::Operation> ops;
    if (failed) {
        ops.push_back(etcd::Operation::put(c_.keys.item(id), encodeItem(item)));
    } else {
        ops.push_back(etcd::Operation::remove(c_.keys.item(id)));
        ops.push_back(etcd::Operation::remove(c_.keys.body(id)));
        if (int64_t done = c_.doneLease(); done != 0) {
            QueueItem record = item;
            record.headers.clear();
            ops.push_back(etcd::Operation::put(c_.keys.doneRecord(id), encodeItem(record), done));
        }
    }
    ops.push_back(etcd::Operation::remove(c_.keys.claim(id)));
    auto settled = settle(id, claimRevision, ops);
    if (!settled) {
        return {.end = RunResult::End::Released};
    }
    if (!*settled) {
        kQueueLog.info("{} ({}): the claim lapsed before it was recorded {}; another node runs it",
                       id, item.function, toString(item.status));
        return {.end = RunResult::End::Lost};
    }
    result.finished = gateway::AsyncFinished{
        .callId = id, .failed = failed, .status = judged.status, .body = std::move(judged.body)};
    return result;
}

std::optional<bool> ItemRunner::settle(const std::string& callId, int64_t claimRevision,
                                       const std::vector<etcd::Operation>& ops) {
    std::chrono::milliseconds delay{200};
    for (;;) {
        auto done =
            c_.etcd.txn({etcd::Compare::modRevisionIs(c_.keys.claim(callId), claimRevision)}, ops);
        if (done) {
            return done->succeeded;
        }
        kQueueLog.warn("{}: recording its attempt: {}; again in {} ms", callId,
                       done.error().message(), delay.count());
        if (!c_.abort.sleepFor(delay)) {
            return std::nullopt; // stopped: the claim lapses with the node's lease
        }
        delay = std::min(delay * 2, std::chrono::milliseconds(5'000));
    }
}

void ItemRunner::releaseClaim(const std::string& callId, int64_t claimRevision) {
    auto released =
        c_.etcd.txn({etcd::Compare::modRevisionIs(c_.keys.claim(callId), claimRevision)},
                    {etcd::Operation::remove(c_.keys.claim(callId))});
    if (!released) {
        kQueueLog.warn("{}: giving back its claim: {}", callId, released.error().message());
    }
}

} // namespace faasd::cluster
