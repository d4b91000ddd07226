#include "cluster/scheduler.hpp"

#include "cluster/logger.hpp"
#include "cluster/placement.hpp"

#include <algorithm>

namespace faasd::cluster {

namespace {

// etcd's default limit of operations in one transaction is 128.
constexpr size_t kOpsPerTxn = 100;

} // namespace

Scheduler::Scheduler(etcd::Client& etcd, ClusterState& state, Membership& membership,
                     std::chrono::milliseconds tick)
    : etcd_(etcd), state_(state), membership_(membership), tick_(tick) {}

Scheduler::~Scheduler() {
    stop();
}

void Scheduler::onLeadership(std::function<void(bool)> listener) {
    listener_ = std::move(listener);
}

void Scheduler::start() {
    state_.subscribe([this](const Snapshot&) {
        {
            std::lock_guard lock(mutex_);
            dirty_ = true;
        }
        wake_.notify_all();
    });
    thread_ = std::thread([this] { run(); });
}

void Scheduler::stop() {
    stopping_ = true;
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Scheduler::setLeading(bool leading) {
    if (leading_.exchange(leading) != leading) {
        kLog.info("node {} {} scheduling", membership_.config().name,
                  leading ? "leads the cluster's" : "stopped");
        if (listener_) {
            listener_(leading);
        }
    }
}

std::vector<etcd::Operation> Scheduler::plan(const Snapshot& s, const Keys& keys) {
    std::vector<etcd::Operation> ops;
    std::vector<NodeLoad> nodes;
    for (const auto& [name, node] : s.nodes) {
        nodes.push_back({.name = name, .freeMemoryBytes = node.freeMemoryBytes});
    }
    for (const auto& [fn, record] : s.functions) {
        PlacementRequest req{.replicas = record.replicas,
                             .memoryPerReplica = memoryPerReplica(record.deployment)};
        if (auto it = s.placements.find(fn); it != s.placements.end()) {
            req.current = it->second;
        }
        auto allowed = allowedNodes(record.deployment);
        std::vector<NodeLoad> eligible;
        for (const auto& node : nodes) {
            if (!allowed || allowed->contains(node.name)) {
                eligible.push_back(node);
            }
        }
        if (eligible.empty()) {
            continue; // nowhere to go: left as it is until a node joins
        }
        auto next = place(req, eligible);
        for (const auto& e : eligible) { // their load, for the next function
            auto it = std::find_if(nodes.begin(), nodes.end(),
                                   [&](const NodeLoad& n) { return n.name == e.name; });
            *it = e;
        }
        auto current = s.placements.find(fn);
        if (current == s.placements.end() || current->second != next) {
            ops.push_back(etcd::Operation::put(keys.placement(fn), toJson(next)));
        }
    }
    for (const auto& [fn, placement] : s.placements) {
        if (!s.functions.contains(fn)) {
            ops.push_back(etcd::Operation::remove(keys.placement(fn)));
        }
    }
    return ops;
}

void Scheduler::run() {
    const auto election = state_.keys().election();
    while (!stopping_) {
        if (!membership_.registered()) {
            std::unique_lock lock(mutex_);
            wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
            continue;
        }
        auto key =
            etcd_.campaign(election, membership_.leaseId(), membership_.config().name, stopping_);
        if (!key) {
            if (key.error().code() != Code::Cancelled) {
                kLog.warn("campaigning to schedule: {}", key.error().message());
                std::unique_lock lock(mutex_);
                wake_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
            }
            continue;
        }
        lead(*key);
        setLeading(false);
        if (stopping_) {
            (void)etcd_.resign(*key);
        }
    }
}

void Scheduler::lead(const etcd::LeaderKey& key) {
    const auto generation = membership_.generation();
    setLeading(true);
    std::unique_lock lock(mutex_);
    dirty_ = true;
    while (!stopping_ && membership_.generation() == generation && membership_.registered()) {
        wake_.wait_for(lock, tick_, [&] { return stopping_ || dirty_; });
        if (stopping_) {
            return;
        }
        dirty_ = false;
        lock.unlock();
        const auto s = state_.snapshot();
        auto ops = plan(*s, state_.keys());
        for (size_t i = 0; i < ops.size(); i += kOpsPerTxn) {
            std::vector<etcd::Operation> batch(
                ops.begin() + static_cast<std::ptrdiff_t>(i),
                ops.begin() + static_cast<std::ptrdiff_t>(std::min(ops.size(), i + kOpsPerTxn)));
            auto txn = etcd_.txn({etcd::Compare::exists(key.key)}, batch);
            if (!txn) {
                kLog.warn("writing placements: {}", txn.error().message());
                break;
            }
            if (!txn->succeeded) {
                kLog.warn("no longer the cluster's scheduler (its election key is gone)");
                return;
            }
            // Placing again waits for these writes to be seen.
            state_.waitRevision(txn->revision,
                                std::chrono::steady_clock::now() + std::chrono::seconds(5));
        }
        lock.lock();
    }
}

} // namespace faasd::cluster
