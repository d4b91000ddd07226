#include "cluster/cluster_provider.hpp"

#include "api/json.hpp"
#include "api/validate.hpp"
#include "provider/labels.hpp"

#include <charconv>

namespace faasd::cluster {

namespace {

using etcd::Compare;
using etcd::Operation;

// com.openfaas.scale.min, else 1, at most max: what a new function starts with.
uint64_t initialReplicas(const api::FunctionDeployment& d, uint64_t max) {
    uint64_t n = 1;
    if (auto it = d.labels.find("com.openfaas.scale.min"); it != d.labels.end()) {
        uint64_t parsed = 0;
        const auto* end = it->second.data() + it->second.size();
        if (auto r = std::from_chars(it->second.data(), end, parsed);
            r.ec == std::errc() && r.ptr == end) {
            n = std::max<uint64_t>(1, parsed);
        }
    }
    return std::min(n, max);
}

// An etcd call of a change: when etcd does not answer, the change is
// refused with 503 and says why (serving goes on from memory).
template <typename T> Result<T> etcdCall(Result<T> result, std::string_view what) {
    if (result) {
        return result;
    }
    const auto& e = result.error();
    if (e.code() == Code::Unavailable || e.code() == Code::Timeout) {
        return fail(Code::Unavailable,
                    "{}: the cluster's etcd is unreachable, so changes are refused until it "
                    "answers (functions keep serving): {}",
                    what, e.message());
    }
    return fail(e.context(what));
}

// What a node said when it could not run a generation, when every node it
// was placed on said so.
std::optional<std::string> allFailed(const Snapshot& s, const api::FunctionRef& fn,
                                     const std::string& generation) {
    auto placement = s.placements.find(fn);
    if (placement == s.placements.end() || placement->second.empty()) {
        return std::nullopt;
    }
    std::optional<std::string> first;
    for (const auto& [node, n] : placement->second) {
        const auto* nf = s.runningOn(fn, node);
        if (nf == nullptr || nf->generation != generation || nf->error.empty()) {
            return std::nullopt;
        }
        if (!first) {
            first = fmt::format("on node {}: {}", node, nf->error);
        }
    }
    return first;
}

uint64_t readyOf(const Snapshot& s, const api::FunctionRef& fn, const std::string& generation) {
    uint64_t ready = 0;
    if (auto it = s.running.find(fn); it != s.running.end()) {
        for (const auto& [node, nf] : it->second) {
            if (nf.generation == generation && s.nodes.contains(node)) {
                ready += nf.ready.size();
            }
        }
    }
    return ready;
}

} // namespace

ClusterProvider::ClusterProvider(etcd::Client& etcd, ClusterState& state, provider::Provider& local,
                                 ClusterProviderConfig config)
    : etcd_(etcd), state_(state), local_(local), config_(std::move(config)) {}

std::string ClusterProvider::nsOr(const std::string& ns) const {
    return ns.empty() ? config_.defaultNamespace : ns;
}

std::chrono::steady_clock::time_point ClusterProvider::deadline() const {
    return std::chrono::steady_clock::now() + config_.readinessTimeout;
}

Result<void> ClusterProvider::requireNamespace(const Snapshot& s, const std::string& ns,
                                               std::string_view what) const {
    if (ns != config_.defaultNamespace && !s.namespaces.contains(ns)) {
        return fail(Code::NotFound, "{}: namespace {} not found", what, ns);
    }
    return {};
}

Result<void> ClusterProvider::waitReady(const api::FunctionRef& fn, int64_t revision,
                                        std::string_view what) {
    std::optional<std::string> error;
    bool ready = false;
    std::string generation;
    state_.waitUntil(
        [&](const Snapshot& s) {
            auto it = s.functions.find(fn);
            if (s.revision < revision) {
                return false;
            }
            if (it == s.functions.end() || it->second.revision < revision) {
                error = "it was removed meanwhile";
                return true;
            }
            generation = it->second.generation;
            // Scaled to zero, it has nothing to start: updated once written,
            // as on one VM.
            if (it->second.replicas == 0 || readyOf(s, fn, generation) > 0) {
                ready = true;
                return true;
            }
            error = allFailed(s, fn, generation);
            return error.has_value();
        },
        deadline());
    if (ready) {
        return {};
    }
    if (error) {
        return fail(Code::FailedPrecondition, "{}: {}", what, *error);
    }
    return fail(Code::Timeout, "{}: no replica was ready within {} ms on any node", what,
                config_.readinessTimeout.count());
}

Result<void> ClusterProvider::checkDeployment(const api::FunctionDeployment& d,
                                              std::string_view what) const {
    TRY(withContext(provider::validateDeployment(d), what));
    const auto s = state_.snapshot();
    TRY(requireNamespace(*s, d.ns, what));
    for (const auto& secret : d.secrets) {
        if (!s->secrets.contains({d.ns, secret})) {
            return fail(Code::FailedPrecondition, "{}: secret {} not found in namespace {}", what,
                        secret, d.ns);
        }
    }
    return {};
}

Result<void> ClusterProvider::deploy(const api::FunctionDeployment& deployment) {
    auto d = deployment;
    d.ns = nsOr(d.ns);
    const auto what = fmt::format("deploying {}", d.service);
    TRY(checkDeployment(d, what));
    const api::FunctionRef fn{d.service, d.ns};
    FunctionRecord record{.deployment = d,
                          .replicas = initialReplicas(d, config_.maxReplicas),
                          .createdAt = std::chrono::system_clock::now()};
    const auto key = state_.keys().function(fn);
    TRY_ASSIGN(
        auto txn,
        etcdCall(etcd_.txn({Compare::missing(key)}, {Operation::put(key, toJson(record))}), what));
    if (!txn.succeeded) {
        return fail(Code::AlreadyExists, "{}: function {} already exists in namespace {}", what,
                    d.service, d.ns);
    }
    auto ready = waitReady(fn, txn.revision, what);
    if (!ready) {
        // Nothing is left of a deploy that failed.
        (void)etcd_.txn({Compare::modRevisionIs(key, txn.revision)},
                        {Operation::remove(key), Operation::remove(state_.keys().placement(fn))});
    }
    return ready;
}

Result<void> ClusterProvider::update(const api::FunctionDeployment& deployment) {
    auto d = deployment;
    d.ns = nsOr(d.ns);
    const auto what = fmt::format("updating {}", d.service);
    TRY(checkDeployment(d, what));
    const api::FunctionRef fn{d.service, d.ns};
    const auto key = state_.keys().function(fn);
    for (int attempt = 0; attempt < 5; ++attempt) {
        TRY_ASSIGN(auto kv, etcdCall(etcd_.get(key), what));
        if (!kv) {
            return fail(Code::NotFound, "{}: function {} not found in namespace {}", what,
                        d.service, d.ns);
        }
        TRY_ASSIGN(auto record, withContext(parseFunctionRecord(kv->value), what));
        record.deployment = d;
        TRY_ASSIGN(auto txn, etcdCall(etcd_.txn({Compare::modRevisionIs(key, kv->modRevision)},
                                                {Operation::put(key, toJson(record))}),
                                      what));
        if (txn.succeeded) {
            return waitReady(fn, txn.revision, what);
        }
    }
    return fail(Code::Unavailable, "{}: the function kept changing meanwhile", what);
}

Result<void> ClusterProvider::remove(const std::string& name, const std::string& nsIn) {
    const auto ns = nsOr(nsIn);
    const api::FunctionRef fn{name, ns};
    const auto what = fmt::format("removing {}", name);
    const auto key = state_.keys().function(fn);
    TRY_ASSIGN(auto txn, etcdCall(etcd_.txn({Compare::exists(key)},
                                            {Operation::remove(key),
                                             Operation::remove(state_.keys().placement(fn))}),
                                  what));
    if (!txn.succeeded) {
        return fail(Code::NotFound, "{}: function {} not found in namespace {}", what, name, ns);
    }
    // Gone when no node publishes it any more (or the wait ends: the nodes
    // remove it all the same).
    state_.waitUntil(
        [&](const Snapshot& s) { return s.revision >= txn.revision && !s.running.contains(fn); },
        deadline());
    return {};
}

Result<std::vector<api::FunctionStatus>> ClusterProvider::list(const std::string& nsIn) {
    const auto ns = nsOr(nsIn);
    const auto s = state_.snapshot();
    TRY(requireNamespace(*s, ns, "listing functions"));
    std::vector<api::FunctionStatus> out;
    for (const auto& [fn, record] : s->functions) {
        if (fn.ns == ns) {
            out.push_back(provider::makeStatus(record.deployment, std::nullopt, record.replicas,
                                               s->readyReplicas(fn), record.createdAt));
        }
    }
    return out;
}

Result<api::FunctionStatus> ClusterProvider::get(const std::string& name, const std::string& nsIn) {
    const auto ns = nsOr(nsIn);
    const auto s = state_.snapshot();
    const api::FunctionRef fn{name, ns};
    auto it = s->functions.find(fn);
    if (it == s->functions.end()) {
        return fail(Code::NotFound, "function {} not found in namespace {}", name, ns);
    }
    return provider::makeStatus(it->second.deployment, std::nullopt, it->second.replicas,
                                s->readyReplicas(fn), it->second.createdAt);
}

Result<void> ClusterProvider::setReplicas(const api::FunctionRef& fn, uint64_t replicas,
                                          std::string_view what) {
    const auto key = state_.keys().function(fn);
    for (int attempt = 0; attempt < 5; ++attempt) {
        TRY_ASSIGN(auto kv, etcdCall(etcd_.get(key), what));
        if (!kv) {
            return fail(Code::NotFound, "{}: function {} not found in namespace {}", what, fn.name,
                        fn.ns);
        }
        TRY_ASSIGN(auto record, withContext(parseFunctionRecord(kv->value), what));
        if (record.replicas == replicas) {
            return {};
        }
        record.replicas = replicas;
        TRY_ASSIGN(auto txn, etcdCall(etcd_.txn({Compare::modRevisionIs(key, kv->modRevision)},
                                                {Operation::put(key, toJson(record))}),
                                      what));
        if (txn.succeeded) {
            return {};
        }
    }
    return fail(Code::Unavailable, "{}: the function kept changing meanwhile", what);
}

Result<void> ClusterProvider::scale(const std::string& name, const std::string& nsIn,
                                    uint64_t replicas) {
    const auto ns = nsOr(nsIn);
    const auto what = fmt::format("scaling {} to {}", name, replicas);
    if (replicas > config_.maxReplicas) {
        return fail(Code::InvalidArgument, "{}: at most {} replicas are allowed", what,
                    config_.maxReplicas);
    }
    const api::FunctionRef fn{name, ns};
    TRY(setReplicas(fn, replicas, what));
    // As on one VM: scaling returns when the new count is served.
    auto s = state_.waitUntil(
        [&](const Snapshot& snap) {
            auto it = snap.functions.find(fn);
            return it == snap.functions.end() ||
                   (it->second.replicas == replicas &&
                    readyOf(snap, fn, it->second.generation) == replicas);
        },
        deadline());
    auto it = s->functions.find(fn);
    if (it != s->functions.end() && readyOf(*s, fn, it->second.generation) != replicas) {
        return fail(Code::Timeout, "{}: {} of {} replicas ready after {} ms", what,
                    readyOf(*s, fn, it->second.generation), replicas,
                    config_.readinessTimeout.count());
    }
    return {};
}

Result<std::vector<provider::Endpoint>> ClusterProvider::resolve(const std::string& name,
                                                                 const std::string& nsIn) {
    const auto s = state_.snapshot();
    const auto ns = nsOr(nsIn); // outlives the view
    const api::FunctionRefView ref{name, ns};
    auto it = s->ready.find(ref);
    if (it == s->ready.end()) {
        if (!s->functions.contains(api::FunctionRef::from(ref))) {
            return fail(Code::NotFound, "function {} not found in namespace {}", name, ns);
        }
        return std::vector<provider::Endpoint>{};
    }
    return it->second;
}

provider::UpstreamTimeout ClusterProvider::upstreamTimeout(const std::string& name,
                                                           const std::string& ns) {
    const auto s = state_.snapshot();
    const std::string resolvedNs = nsOr(ns);
    auto it = s->ready.find(api::FunctionRefView{name, resolvedNs});
    return it == s->ready.end() || it->second.empty() ? provider::UpstreamTimeout{}
                                                      : it->second.front().timeout;
}

Result<std::vector<api::Secret>> ClusterProvider::listSecrets(const std::string& nsIn) {
    const auto ns = nsOr(nsIn);
    const auto s = state_.snapshot();
    TRY(requireNamespace(*s, ns, "listing secrets"));
    std::vector<api::Secret> out;
    for (const auto& [key, revision] : s->secrets) {
        const auto& [secretNs, name] = key;
        if (secretNs == ns) {
            out.push_back({.name = name, .ns = ns});
        }
    }
    return out;
}

Result<void> ClusterProvider::createSecret(const api::Secret& secretIn) {
    auto secret = secretIn;
    secret.ns = nsOr(secret.ns);
    const auto what = fmt::format("creating secret {}", secret.name);
    TRY(withContext(api::validateSecretName(secret.name), what));
    TRY(requireNamespace(*state_.snapshot(), secret.ns, what));
    const auto key = state_.keys().secret(secret.ns, secret.name);
    TRY_ASSIGN(
        auto txn,
        etcdCall(etcd_.txn({Compare::missing(key)}, {Operation::put(key, secret.bytes())}), what));
    if (!txn.succeeded) {
        return fail(Code::AlreadyExists, "{}: it already exists in namespace {}", what, secret.ns);
    }
    state_.waitRevision(txn.revision, deadline());
    return {};
}

Result<void> ClusterProvider::updateSecret(const api::Secret& secretIn) {
    auto secret = secretIn;
    secret.ns = nsOr(secret.ns);
    const auto what = fmt::format("updating secret {}", secret.name);
    const auto key = state_.keys().secret(secret.ns, secret.name);
    TRY_ASSIGN(
        auto txn,
        etcdCall(etcd_.txn({Compare::exists(key)}, {Operation::put(key, secret.bytes())}), what));
    if (!txn.succeeded) {
        return fail(Code::NotFound, "{}: secret {} not found in namespace {}", what, secret.name,
                    secret.ns);
    }
    state_.waitRevision(txn.revision, deadline());
    return {};
}

Result<void> ClusterProvider::removeSecret(const std::string& name, const std::string& nsIn) {
    const auto ns = nsOr(nsIn);
    const auto what = fmt::format("removing secret {}", name);
    const auto key = state_.keys().secret(ns, name);
    TRY_ASSIGN(auto txn,
               etcdCall(etcd_.txn({Compare::exists(key)}, {Operation::remove(key)}), what));
    if (!txn.succeeded) {
        return fail(Code::NotFound, "{}: secret {} not found in namespace {}", what, name, ns);
    }
    state_.waitRevision(txn.revision, deadline());
    return {};
}

Result<std::vector<std::string>> ClusterProvider::listNamespaces() {
    const auto s = state_.snapshot();
    std::vector<std::string> out = {config_.defaultNamespace};
    for (const auto& [name, ns] : s->namespaces) {
        if (name != config_.defaultNamespace) {
            out.push_back(name);
        }
    }
    return out;
}

Result<api::NamespaceRequest> ClusterProvider::getNamespace(const std::string& name) {
    const auto s = state_.snapshot();
    if (name == config_.defaultNamespace) {
        auto it = s->namespaces.find(name);
        return it == s->namespaces.end() ? api::NamespaceRequest{.name = name} : it->second;
    }
    auto it = s->namespaces.find(name);
    if (it == s->namespaces.end()) {
        return fail(Code::NotFound, "getting namespace: namespace {} not found", name);
    }
    return it->second;
}

Result<void> ClusterProvider::createNamespace(const api::NamespaceRequest& ns) {
    const auto what = fmt::format("creating namespace {}", ns.name);
    TRY(withContext(api::validateName("namespace", ns.name), what));
    const auto key = state_.keys().ns(ns.name);
    TRY_ASSIGN(
        auto txn,
        etcdCall(etcd_.txn({Compare::missing(key)}, {Operation::put(key, api::toJson(ns))}), what));
    if (!txn.succeeded || ns.name == config_.defaultNamespace) {
        return fail(Code::AlreadyExists, "{}: it already exists", what);
    }
    state_.waitRevision(txn.revision, deadline());
    return {};
}

Result<void> ClusterProvider::updateNamespace(const api::NamespaceRequest& ns) {
    const auto what = fmt::format("updating namespace {}", ns.name);
    const auto key = state_.keys().ns(ns.name);
    std::vector<Compare> compares;
    if (ns.name != config_.defaultNamespace) {
        compares.push_back(Compare::exists(key));
    }
    TRY_ASSIGN(auto txn,
               etcdCall(etcd_.txn(compares, {Operation::put(key, api::toJson(ns))}), what));
    if (!txn.succeeded) {
        return fail(Code::NotFound, "{}: namespace {} not found", what, ns.name);
    }
    state_.waitRevision(txn.revision, deadline());
    return {};
}

Result<void> ClusterProvider::removeNamespace(const std::string& name) {
    const auto what = fmt::format("removing namespace {}", name);
    if (name == config_.defaultNamespace) {
        return fail(Code::InvalidArgument, "{}: the default namespace stays", what);
    }
    const auto s = state_.snapshot();
    for (const auto& [fn, record] : s->functions) {
        if (fn.ns == name) {
            return fail(Code::FailedPrecondition, "{}: function {} still runs in it", what,
                        fn.name);
        }
    }
    const auto key = state_.keys().ns(name);
    TRY_ASSIGN(auto txn,
               etcdCall(etcd_.txn({Compare::exists(key)},
                                  {Operation::remove(key),
                                   Operation::removePrefix(state_.keys().secrets() + name + "/")}),
                        what));
    if (!txn.succeeded) {
        return fail(Code::NotFound, "{}: namespace {} not found", what, name);
    }
    state_.waitRevision(txn.revision, deadline());
    return {};
}

Result<void> ClusterProvider::logs(const api::LogRequest& request, const provider::LogSink& sink,
                                   const std::atomic<bool>& stop) {
    return local_.logs(request, sink, stop);
}

api::ProviderInfo ClusterProvider::info() {
    auto info = local_.info();
    info.orchestration += " (cluster)";
    return info;
}

} // namespace faasd::cluster
