#include "cluster/queue_mirror.hpp"

#include "cluster/queue_logger.hpp"

#include <algorithm>

namespace faasd::cluster {

void QueueMirror::reset(const std::vector<etcd::KeyValue>& kvs, int64_t revision, int64_t nowMs) {
    std::map<std::string, Entry> old;
    old.swap(entries_);
    revision_ = 0;
    for (const auto& kv : kvs) {
        applyPut(kv, nowMs);
    }
    for (auto& [callId, e] : old) {
        if (e.held) {
            auto [it, inserted] = entries_.try_emplace(callId);
            it->second.held = true;
            it->second.generation = nextGeneration_++;
        }
    }
    revision_ = revision;
}

void QueueMirror::apply(const std::vector<etcd::Event>& events, int64_t revision, int64_t nowMs) {
    for (const auto& ev : events) {
        if (ev.kv.modRevision <= revision_) {
            continue; // already in the last reset's read
        }
        if (ev.type == etcd::Event::Type::Put) {
            applyPut(ev.kv, nowMs);
        } else {
            applyDelete(ev.kv.key, nowMs);
        }
    }
    revision_ = std::max(revision_, revision);
}

void QueueMirror::applyPut(const etcd::KeyValue& kv, int64_t nowMs) {
    auto parsed = keys_.parse(kv.key);
    if (!parsed) {
        return;
    }
    if (parsed->kind == QueueKeys::Kind::Item) {
        auto item = decodeItem(kv.value);
        if (!item) {
            kQueueLog.warn("ignoring {}: {}", kv.key, item.error().message());
            return;
        }
        Entry& e = entries_[parsed->callId];
        if (!e.item && e.claimRevision == 0) {
            e.unclaimedSinceMs = nowMs;
        }
        e.item = std::move(*item);
        e.itemRevision = kv.modRevision;
        e.generation = nextGeneration_++;
        return;
    }
    Entry& e = entries_[parsed->callId];
    e.claimNode = kv.value;
    e.claimRevision = kv.modRevision;
    e.generation = nextGeneration_++;
}

void QueueMirror::applyDelete(const std::string& key, int64_t nowMs) {
    auto parsed = keys_.parse(key);
    if (!parsed) {
        return;
    }
    auto it = entries_.find(parsed->callId);
    if (it == entries_.end()) {
        return;
    }
    Entry& e = it->second;
    if (parsed->kind == QueueKeys::Kind::Item) {
        e.item.reset();
        e.itemRevision = 0;
    } else {
        e.claimNode.clear();
        e.claimRevision = 0;
        e.unclaimedSinceMs = nowMs;
    }
    e.generation = nextGeneration_++;
    if (!e.item && e.claimRevision == 0 && !e.held) {
        entries_.erase(it);
    }
}

bool QueueMirror::waiting(const Entry& e) const {
    return e.item &&
           (e.item->status == ItemStatus::Pending || e.item->status == ItemStatus::Retrying) &&
           e.claimRevision == 0;
}

std::optional<int64_t> QueueMirror::eligibleAt(const Entry& e) const {
    if (!waiting(e) || e.held || e.lostGeneration == e.generation) {
        return std::nullopt;
    }
    int64_t at = std::max(e.item->nextAtMs, e.notBeforeMs);
    if (e.item->origin != node_) {
        at = std::max(at, e.unclaimedSinceMs + foreignDelay_.count());
    }
    return at;
}

std::optional<QueueMirror::Candidate> QueueMirror::take(int64_t nowMs) {
    Entry* best = nullptr;
    const std::string* bestId = nullptr;
    for (auto& [callId, e] : entries_) {
        auto at = eligibleAt(e);
        if (!at || *at > nowMs) {
            continue;
        }
        if (best == nullptr || e.item->enqueuedMs < best->item->enqueuedMs) {
            best = &e;
            bestId = &callId;
        }
    }
    if (best == nullptr) {
        return std::nullopt;
    }
    best->held = true;
    return Candidate{*bestId, *best->item, best->itemRevision, best->generation};
}

std::optional<int64_t> QueueMirror::nextDueMs(int64_t nowMs) const {
    std::optional<int64_t> next;
    for (const auto& [callId, e] : entries_) {
        if (auto at = eligibleAt(e); at && (!next || *at < *next)) {
            next = std::max(*at, nowMs);
        }
    }
    return next;
}

void QueueMirror::release(const Candidate& c, Release how, int64_t nowMs) {
    auto it = entries_.find(c.callId);
    if (it == entries_.end()) {
        return;
    }
    Entry& e = it->second;
    e.held = false;
    if (how == Release::LostRace) {
        e.lostGeneration = c.generation;
    } else if (how == Release::Error) {
        e.notBeforeMs = nowMs + 1'000;
    }
    if (!e.item && e.claimRevision == 0) {
        entries_.erase(it);
    }
}

bool QueueMirror::claimHeld(const std::string& callId, int64_t claimRevision) const {
    if (revision_ < claimRevision) {
        return true; // the watch has not seen the claim yet
    }
    auto it = entries_.find(callId);
    return it != entries_.end() && it->second.claimRevision == claimRevision;
}

QueueMirror::Counts QueueMirror::counts() const {
    Counts c;
    for (const auto& [callId, e] : entries_) {
        if (e.claimRevision != 0) {
            c.claimed++;
        }
        if (!e.item) {
            continue;
        }
        c.items++;
        c.bytes += e.item->bodyBytes;
        if (e.item->status == ItemStatus::Failed) {
            c.failed++;
            continue;
        }
        if (e.claimRevision == 0) {
            c.waiting++;
        }
        if (!c.oldestUnfinishedMs || e.item->enqueuedMs < *c.oldestUnfinishedMs) {
            c.oldestUnfinishedMs = e.item->enqueuedMs;
        }
    }
    return c;
}

std::map<api::FunctionRef, uint64_t> QueueMirror::depthByFunction() const {
    std::map<api::FunctionRef, uint64_t> out;
    for (const auto& [callId, e] : entries_) {
        if (waiting(e)) {
            out[e.item->function] += 1;
        }
    }
    return out;
}

} // namespace faasd::cluster
