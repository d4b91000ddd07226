#include "cluster/state.hpp"

#include "api/json.hpp"
#include "cluster/logger.hpp"
#include "provider/timeout.hpp"

namespace faasd::cluster {

uint64_t Snapshot::readyReplicas(const api::FunctionRef& fn) const {
    auto it = ready.find(fn);
    return it == ready.end() ? 0 : it->second.size();
}

const NodeFunction* Snapshot::runningOn(const api::FunctionRef& fn, const std::string& node) const {
    auto it = running.find(fn);
    if (it == running.end()) {
        return nullptr;
    }
    auto n = it->second.find(node);
    return n == it->second.end() ? nullptr : &n->second;
}

Result<std::unique_ptr<ClusterState>> ClusterState::start(etcd::Client& etcd, Keys keys) {
    std::unique_ptr<ClusterState> state(new ClusterState(etcd, std::move(keys)));
    TRY_ASSIGN(auto all, etcd.getPrefix(state->keys_.prefix()));
    auto first = std::make_shared<Snapshot>();
    first->revision = all.revision;
    for (const auto& kv : all.kvs) {
        state->apply(*first, kv.key, kv);
    }
    rebuildReady(*first);
    state->current_ = std::move(first);
    auto* self = state.get();
    TRY_ASSIGN(state->watch_,
               etcd.watchPrefix(
                   state->keys_.prefix(), all.revision + 1,
                   {.events =
                        [self](const std::vector<etcd::Event>& events, int64_t revision) {
                            auto next = std::make_shared<Snapshot>(*self->snapshot());
                            for (const auto& e : events) {
                                self->apply(*next, e.kv.key,
                                            e.type == etcd::Event::Type::Put ? std::optional(e.kv)
                                                                             : std::nullopt);
                            }
                            next->revision = std::max(next->revision, revision);
                            rebuildReady(*next);
                            self->publish(std::move(next));
                        },
                    .reset = [self](int64_t revision) { self->reload(revision); }}));
    return state;
}

ClusterState::~ClusterState() {
    watch_.reset(); // no handler runs after this
}

std::shared_ptr<const Snapshot> ClusterState::snapshot() const {
    std::lock_guard lock(mutex_);
    return current_;
}

void ClusterState::subscribe(std::function<void(const Snapshot&)> listener) {
    std::lock_guard lock(mutex_);
    listeners_.push_back(std::move(listener));
}

std::shared_ptr<const Snapshot>
ClusterState::waitUntil(const std::function<bool(const Snapshot&)>& done,
                        std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    changed_.wait_until(lock, deadline, [&] { return done(*current_); });
    return current_;
}

bool ClusterState::waitRevision(int64_t revision,
                                std::chrono::steady_clock::time_point deadline) const {
    std::unique_lock lock(mutex_);
    return changed_.wait_until(lock, deadline, [&] { return current_->revision >= revision; });
}

void ClusterState::reload(int64_t revision) {
    // The watch lost its place (compaction): read everything again.
    auto all = etcd_.getPrefix(keys_.prefix());
    if (!all) {
        kLog.error("re-reading the cluster's state: {}", all.error().message());
        return;
    }
    auto next = std::make_shared<Snapshot>();
    next->revision = std::max(all->revision, revision - 1);
    for (const auto& kv : all->kvs) {
        apply(*next, kv.key, kv);
    }
    rebuildReady(*next);
    publish(std::move(next));
}

void ClusterState::publish(std::shared_ptr<Snapshot> next) {
    std::vector<std::function<void(const Snapshot&)>> listeners;
    {
        std::lock_guard lock(mutex_);
        current_ = next;
        listeners = listeners_;
    }
    changed_.notify_all();
    for (const auto& listener : listeners) {
        listener(*next);
    }
}

void ClusterState::apply(Snapshot& s, const std::string& key,
                         const std::optional<etcd::KeyValue>& kv) {
    auto warn = [&](const Error& e) { kLog.warn("ignoring {}: {}", key, e.message()); };
    if (auto node = keys_.nodeOf(key)) {
        if (!kv) {
            s.nodes.erase(*node);
        } else if (auto rec = parseNodeRecord(kv->value)) {
            rec->lease = kv->lease;
            s.nodes[*node] = std::move(*rec);
        } else {
            warn(rec.error());
        }
    } else if (auto fn = keys_.functionOf(key)) {
        if (!kv) {
            s.functions.erase(*fn);
        } else if (auto rec = parseFunctionRecord(kv->value)) {
            rec->revision = kv->modRevision;
            rec->createRevision = kv->createRevision;
            rec->generation = generationOf(rec->deployment, kv->createRevision);
            s.functions[*fn] = std::move(*rec);
        } else {
            warn(rec.error());
        }
    } else if (auto placed = keys_.placementOf(key)) {
        if (!kv) {
            s.placements.erase(*placed);
        } else if (auto p = parsePlacement(kv->value)) {
            s.placements[*placed] = std::move(*p);
        } else {
            warn(p.error());
        }
    } else if (auto ep = keys_.endpointOf(key)) {
        auto& [ref, node] = *ep;
        if (!kv) {
            auto it = s.running.find(ref);
            if (it != s.running.end()) {
                it->second.erase(node);
                if (it->second.empty()) {
                    s.running.erase(it);
                }
            }
        } else if (auto nf = parseNodeFunction(kv->value)) {
            s.running[ref][node] = std::move(*nf);
        } else {
            warn(nf.error());
        }
    } else if (auto secret = keys_.secretOf(key)) {
        if (!kv) {
            s.secrets.erase(*secret);
        } else {
            s.secrets[*secret] = kv->modRevision;
        }
    } else if (auto ns = keys_.namespaceOf(key)) {
        if (!kv) {
            s.namespaces.erase(*ns);
        } else if (auto req = api::parseNamespaceRequest(kv->value)) {
            req->name = *ns;
            s.namespaces[*ns] = std::move(*req);
        } else {
            warn(req.error());
        }
    }
}

void ClusterState::rebuildReady(Snapshot& s) {
    s.ready.clear();
    for (const auto& [fn, nodes] : s.running) {
        auto record = s.functions.find(fn);
        if (record == s.functions.end()) {
            continue; // removed: its replicas are going
        }
        provider::UpstreamTimeout timeout;
        if (auto t = provider::upstreamTimeoutOf(record->second.deployment)) {
            timeout = *t;
        }
        auto& list = s.ready[fn];
        for (const auto& [node, nf] : nodes) {
            if (!s.nodes.contains(node)) {
                continue; // its lease lapsed: out of every rotation
            }
            for (const auto& e : nf.ready) {
                list.push_back(
                    {.instance = e.instance, .ip = e.ip, .port = e.port, .timeout = timeout});
            }
        }
    }
}

} // namespace faasd::cluster
