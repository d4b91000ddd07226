#pragma once

// One item's run on this node, each step one etcd transaction:
//
//   claim   if no claim and the item is the one seen: put the claim (under
//           the node's lease) and the item with attempts + 1, read the body
//   invoke  through the queue's Invoker, like a sync call with X-Call-Id
//   retry   if the claim is still ours: the item retrying at nextAtMs, the
//           claim deleted (any node takes it when due)
//   finish  callback first (at least once), then if the claim is still
//           ours: item, body and claim deleted and a done record put
//           (completed), or the item kept as failed (the dead-letter list)
//
// "Still ours" is the claim's mod revision: a claim that lapsed with the
// lease, even one this node made again since, does not match, so a run
// whose claim was lost records nothing (another node runs it again).

#include "cluster/queue_config.hpp"
#include "cluster/queue_item.hpp"
#include "cluster/queue_mirror.hpp"
#include "etcd/client.hpp"
#include "ports/async_queue.hpp"
#include "provider/provider.hpp"
#include "queue/attempt.hpp"
#include "queue/invoker.hpp"

#include <functional>
#include <optional>
#include <string>

namespace faasd::cluster {

struct RunResult {
    enum class End {
        NotClaimed, // another node claimed or changed it first
        EtcdError,  // the claim could not be made
        Released,   // stopped: the claim was given back
        Lost,       // the claim lapsed meanwhile: nothing recorded
        Retried,
        Completed,
        Failed, // the dead-letter list
    };
    End end = End::NotClaimed;
    bool callbackFailed = false;
    std::optional<gateway::AsyncFinished> finished; // Completed, Failed
};

struct RunnerContext {
    const ClusterQueueConfig& config;
    const QueueKeys& keys;
    etcd::Client& etcd;
    queue::Invoker& invoker;
    queue::AbortSignal& abort;
    provider::Provider* provider;       // the functions' own timeouts, when given
    std::function<int64_t()> lease;     // the node's lease for claims (0: none)
    std::function<int64_t()> doneLease; // the lease of done records (0: keep none)
    // Whether the claim at this revision still holds, as the watch saw.
    std::function<bool(const std::string& callId, int64_t claimRevision)> claimHeld;
};

class ItemRunner {
public:
    explicit ItemRunner(RunnerContext context) : c_(std::move(context)) {}

    RunResult run(const QueueMirror::Candidate& candidate);

private:
    // A transaction guarded by the claim, again while etcd does not answer
    // (until stopped); whether it ran (false: the claim is gone).
    std::optional<bool> settle(const std::string& callId, int64_t claimRevision,
                               const std::vector<etcd::Operation>& ops);
    void releaseClaim(const std::string& callId, int64_t claimRevision);

    RunnerContext c_;
};

} // namespace faasd::cluster
