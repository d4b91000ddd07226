#pragma once

// What one node knows of the cluster queue from its watch on P q/: every
// unfinished or failed item and who claims it. It picks the next item for
// a worker of this node: due, unclaimed, not already held by a worker
// here, and not one whose claim this node just lost to another (until its
// keys change again). Items another node accepted wait foreignDelay more,
// so that the accepting node usually runs its own without a race.
//
// Pure bookkeeping, not thread-safe: the queue holds its lock around it.

#include "api/function_ref.hpp"
#include "cluster/queue_item.hpp"
#include "etcd/client.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faasd::cluster {

class QueueMirror {
public:
    QueueMirror(QueueKeys keys, std::string node, std::chrono::milliseconds foreignDelay)
        : keys_(std::move(keys)), node_(std::move(node)), foreignDelay_(foreignDelay) {}

    // Replaces what is known with a read of P q/ at revision (at the start,
    // and after the watch could not resume); what workers here hold stays
    // held.
    void reset(const std::vector<etcd::KeyValue>& kvs, int64_t revision, int64_t nowMs);
    // A batch of the watch; events at or before the known revision are
    // skipped.
    void apply(const std::vector<etcd::Event>& events, int64_t revision, int64_t nowMs);
    int64_t revision() const { return revision_; }

    struct Candidate {
        std::string callId;
        QueueItem item;
        int64_t itemRevision = 0; // the claim is made only if the item is still this one
        uint64_t generation = 0;
    };
    // The oldest item this node may claim now, held until release().
    std::optional<Candidate> take(int64_t nowMs);
    // When take() may find one next (Unix ms), if anything waits for a time.
    std::optional<int64_t> nextDueMs(int64_t nowMs) const;

    enum class Release {
        Done,     // run, or taken back by another path
        LostRace, // another node claimed it or changed it: wait for its keys to change
        Error,    // etcd failed: try again in a second
    };
    void release(const Candidate& candidate, Release how, int64_t nowMs);

    // Whether the claim made at claimRevision is still the claim of callId
    // as far as the watch has seen (true until the watch reaches it).
    bool claimHeld(const std::string& callId, int64_t claimRevision) const;

    struct Counts {
        uint64_t items = 0;   // stored: unfinished and failed
        uint64_t bytes = 0;   // their bodies
        uint64_t waiting = 0; // pending or retrying, unclaimed
        uint64_t claimed = 0; // running somewhere
        uint64_t failed = 0;
        std::optional<int64_t> oldestUnfinishedMs;
    };
    Counts counts() const;
    // Waiting items per function (pending or retrying, unclaimed).
    std::map<api::FunctionRef, uint64_t> depthByFunction() const;

private:
    struct Entry {
        std::optional<QueueItem> item;
        int64_t itemRevision = 0;
        std::string claimNode;
        int64_t claimRevision = 0; // 0: unclaimed
        int64_t unclaimedSinceMs = 0;
        uint64_t generation = 0;     // bumped by every change of its keys
        uint64_t lostGeneration = 0; // the generation a claim was lost at (0: none)
        int64_t notBeforeMs = 0;     // after an etcd error
        bool held = false;           // a worker here has it
    };

    void applyPut(const etcd::KeyValue& kv, int64_t nowMs);
    void applyDelete(const std::string& key, int64_t nowMs);
    bool waiting(const Entry& e) const;
    // When a waiting entry may be taken; nullopt when it waits for a change.
    std::optional<int64_t> eligibleAt(const Entry& e) const;

    QueueKeys keys_;
    std::string node_;
    std::chrono::milliseconds foreignDelay_;
    int64_t revision_ = 0;
    uint64_t nextGeneration_ = 1;
    std::map<std::string, Entry> entries_; // by call id
};

} // namespace faasd::cluster
