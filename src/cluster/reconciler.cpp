#include "cluster/reconciler.hpp"

#include "cluster/logger.hpp"

#include <set>

namespace faasd::cluster {

namespace {

uint64_t placedOn(const Snapshot& s, const api::FunctionRef& fn, const std::string& node) {
    auto p = s.placements.find(fn);
    if (p == s.placements.end() || !s.functions.contains(fn)) {
        return 0;
    }
    auto n = p->second.find(node);
    return n == p->second.end() ? 0 : n->second;
}

} // namespace

Reconciler::Reconciler(etcd::Client& etcd, ClusterState& state, Membership& membership,
                       provider::Provider& local, std::chrono::milliseconds tick)
    : etcd_(etcd), state_(state), membership_(membership), local_(local), tick_(tick) {}

Reconciler::~Reconciler() {
    stop();
}

void Reconciler::start() {
    state_.subscribe([this](const Snapshot&) {
        {
            std::lock_guard lock(mutex_);
            dirty_ = true;
        }
        wake_.notify_all();
    });
    thread_ = std::thread([this] { run(); });
}

void Reconciler::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void Reconciler::run() {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
        wake_.wait_for(lock, tick_, [&] { return stopping_ || dirty_; });
        if (stopping_) {
            break;
        }
        dirty_ = false;
        lock.unlock();
        reconcileOnce();
        lock.lock();
    }
}

void Reconciler::reconcileOnce() {
    std::lock_guard pass(passMutex_);
    const auto s = state_.snapshot();
    const auto& me = membership_.config().name;
    for (const auto& [fn, record] : s->functions) {
        if (const uint64_t n = placedOn(*s, fn, me); n > 0) {
            converge(*s, fn, record, n);
        }
    }
    removeUnused(*s);
    publish(*s);
}

void Reconciler::converge(const Snapshot& s, const api::FunctionRef& fn,
                          const FunctionRecord& record, uint64_t placed) {
    auto d = record.deployment;
    d.service = fn.name;
    d.ns = fn.ns;
    const auto& generation = record.generation;
    d.labels[kGenerationLabel] = generation;
    // Here it starts with what is placed here, not the cluster's minimum.
    d.labels["com.openfaas.scale.min"] = std::to_string(placed);

    auto result = [&]() -> Result<void> {
        if (auto namespaces = local_.listNamespaces(); namespaces) {
            if (std::find(namespaces->begin(), namespaces->end(), fn.ns) == namespaces->end()) {
                api::NamespaceRequest req{.name = fn.ns};
                if (auto it = s.namespaces.find(fn.ns); it != s.namespaces.end()) {
                    req = it->second;
                }
                if (auto made = local_.createNamespace(req);
                    !made && made.error().code() != Code::AlreadyExists) {
                    return made;
                }
            }
        }
        TRY(ensureSecrets(s, d));
        auto current = local_.get(fn.name, fn.ns);
        if (!current) {
            if (current.error().code() != Code::NotFound) {
                return fail(current.error());
            }
            kLog.info("starting {} here ({} replicas, generation {})", fn.qualified(), placed,
                      generation);
            return local_.deploy(d);
        }
        auto label = current->labels.find(kGenerationLabel);
        if (label == current->labels.end() || label->second != generation) {
            kLog.info("updating {} here to generation {}", fn.qualified(), generation);
            TRY(local_.update(d));
            TRY_ASSIGN(current, local_.get(fn.name, fn.ns));
        }
        if (current->replicas != placed) {
            kLog.info("scaling {} here from {} to {}", fn.qualified(), current->replicas, placed);
            TRY(local_.scale(fn.name, fn.ns, placed));
        }
        return {};
    }();
    if (result) {
        errors_.erase(fn);
    } else {
        if (errors_[fn] != result.error().message()) {
            kLog.error("{}", result.error().message());
        }
        errors_[fn] = result.error().message();
    }
}

Result<void> Reconciler::ensureSecrets(const Snapshot& s, const api::FunctionDeployment& d) {
    for (const auto& name : d.secrets) {
        const SecretKey id{d.ns, name};
        auto rev = s.secrets.find(id);
        if (rev == s.secrets.end()) {
            return fail(Code::FailedPrecondition,
                        "deploying {}: secret {} not found in namespace {}", d.service, name, d.ns);
        }
        auto applied = appliedSecrets_.find(id);
        if (applied != appliedSecrets_.end() && applied->second == rev->second) {
            continue;
        }
        TRY_ASSIGN(auto kv, etcd_.get(state_.keys().secret(d.ns, name)));
        if (!kv) {
            return fail(Code::FailedPrecondition,
                        "deploying {}: secret {} not found in namespace {}", d.service, name, d.ns);
        }
        api::Secret secret{.name = name, .ns = d.ns, .value = kv->value};
        auto made = local_.createSecret(secret);
        if (!made && made.error().code() == Code::AlreadyExists) {
            made = local_.updateSecret(secret);
        }
        TRY(made);
        appliedSecrets_[id] = kv->modRevision;
    }
    return {};
}

void Reconciler::removeUnused(const Snapshot& s) {
    const auto& me = membership_.config().name;
    auto namespaces = local_.listNamespaces();
    if (!namespaces) {
        return;
    }
    std::set<SecretKey> used; // secrets of functions placed here
    for (const auto& [fn, record] : s.functions) {
        if (placedOn(s, fn, me) > 0) {
            for (const auto& name : record.deployment.secrets) {
                used.insert({fn.ns, name});
            }
        }
    }
    for (const auto& ns : *namespaces) {
        if (auto fns = local_.list(ns)) {
            for (const auto& f : *fns) {
                const api::FunctionRef fn{f.name, ns};
                if (placedOn(s, fn, me) == 0) {
                    kLog.info("removing {} here: not placed on this node", fn.qualified());
                    if (auto removed = local_.remove(f.name, ns);
                        !removed && removed.error().code() != Code::NotFound) {
                        kLog.error("{}", removed.error().message());
                    }
                    errors_.erase(fn);
                }
            }
        }
        if (auto secrets = local_.listSecrets(ns)) {
            for (const auto& secret : *secrets) {
                const SecretKey id{ns, secret.name};
                if (!used.contains(id)) {
                    (void)local_.removeSecret(secret.name, ns);
                    appliedSecrets_.erase(id);
                }
            }
        }
    }
}

void Reconciler::publish(const Snapshot& s) {
    const auto& me = membership_.config().name;
    if (!membership_.registered()) {
        return; // published again under the next lease
    }
    if (membership_.generation() != publishedGeneration_) {
        published_.clear(); // the old lease took them
        publishedGeneration_ = membership_.generation();
    }
    const auto lease = membership_.leaseId();
    std::set<api::FunctionRef> here;
    for (const auto& [fn, record] : s.functions) {
        const uint64_t n = placedOn(s, fn, me);
        if (n == 0) {
            continue;
        }
        here.insert(fn);
        NodeFunction nf{.replicas = n};
        if (auto status = local_.get(fn.name, fn.ns)) {
            auto label = status->labels.find(kGenerationLabel);
            if (label != status->labels.end()) {
                nf.generation = label->second;
            }
            if (auto ready = local_.resolve(fn.name, fn.ns)) {
                for (const auto& e : *ready) {
                    nf.ready.push_back({.instance = e.instance, .ip = e.ip, .port = e.port});
                }
            }
        }
        if (auto err = errors_.find(fn); err != errors_.end()) {
            nf.error = err->second; // trying this generation failed
            nf.generation = record.generation;
        }
        auto value = toJson(nf);
        if (published_[fn] == value) {
            continue;
        }
        if (auto put = etcd_.put(state_.keys().endpoint(fn, me), value, lease)) {
            published_[fn] = std::move(value);
        } else {
            kLog.warn("publishing {}'s replicas: {}", fn.qualified(), put.error().message());
        }
    }
    // What this node published before: everything it no longer runs, and
    // keys of an earlier run of this node (restarted before its lease went).
    for (const auto& [fn, nodes] : s.running) {
        if (nodes.contains(me) && !here.contains(fn)) {
            (void)etcd_.remove(state_.keys().endpoint(fn, me));
            published_.erase(fn);
        }
    }
}

} // namespace faasd::cluster
