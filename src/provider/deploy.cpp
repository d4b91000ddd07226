// Changing functions: deploy, update (new replicas first), scale, remove.
// Each runs under its function's own lock.

#include "common/scope_exit.hpp"
#include "provider/containerd_provider.hpp"
#include "provider/labels.hpp"
#include "provider/logger.hpp"
#include "provider/timeout.hpp"

#include <charconv>
#include <thread>

namespace faasd::provider {

namespace {

// com.openfaas.scale.min, else 1: the replicas a new function starts with.
uint64_t initialReplicas(const api::FunctionDeployment& d, uint64_t max) {
    auto it = d.labels.find("com.openfaas.scale.min");
    uint64_t n = 1;
    if (it != d.labels.end()) {
        uint64_t parsed = 0;
        auto [end, ec] =
            std::from_chars(it->second.data(), it->second.data() + it->second.size(), parsed);
        if (ec == std::errc() && end == it->second.data() + it->second.size()) {
            n = std::max<uint64_t>(1, parsed);
        }
    }
    return std::min(n, max);
}
} // namespace

Result<void> ContainerdProvider::deploy(const api::FunctionDeployment& deployment) {
    auto d = deployment;
    if (d.ns.empty()) {
        d.ns = config_.defaultNamespace;
    }
    const auto what = fmt::format("deploying {}", d.service);
    TRY(withContext(checkDeployment(d), what));
    const api::FunctionRef key{d.service, d.ns};
    auto op = opLock(key);
    std::lock_guard opGuard(*op);
    {
        std::lock_guard lock(mu_);
        if (functions_.contains(key)) {
            return fail(Code::AlreadyExists, "{}: function {} already exists in namespace {}", what,
                        d.service, d.ns);
        }
    }
    auto c = inNs(d.ns);
    bool done = false;
    ScopeExit filesGuard([&] {
        if (!done) {
            std::error_code ec;
            std::filesystem::remove_all(functionDir(d.ns, d.service), ec);
            std::filesystem::remove_all(logDir(d.ns, d.service), ec);
        }
    });
    TRY_ASSIGN(auto tmpl, withContext(makeTemplate(d), what));
    const uint64_t n = initialReplicas(d, config_.maxReplicas);
    containerd::Container record{
        .id = d.service,
        .labels = recordLabels(d, n, tmpl->process),
        .image = tmpl->imageName,
        .runtime = config_.runtime,
        .spec = R"({"ociVersion":"1.0.2"})",
    };
    auto created = c.containers().create(record);
    if (!created) {
        if (created.error().code() == Code::AlreadyExists) {
            return fail(Code::AlreadyExists, "{}: function {} already exists in namespace {}", what,
                        d.service, d.ns);
        }
        return fail(created.error().context(what + ": creating the function record"));
    }
    ScopeExit recordGuard([&] {
        if (!done) {
            (void)c.containers().remove(d.service);
        }
    });
    TRY_ASSIGN(auto started, withContext(startReady(d, *tmpl, n), what));
    Function fn{.deployment = d,
                .process = tmpl->process,
                .desired = n,
                .createdAt = created->createdAt,
                .tmpl = tmpl,
                .timeout = upstreamTimeoutOf(d).value_or(UpstreamTimeout{})};
    for (auto& r : started) {
        fn.replicas[r.id] = std::move(r);
    }
    {
        std::lock_guard lock(mu_);
        functions_[key] = std::move(fn);
    }
    done = true;
    kLog.info("deployed {} ({} replicas)", key, n);
    return {};
}

Result<void> ContainerdProvider::update(const api::FunctionDeployment& deployment) {
    auto d = deployment;
    if (d.ns.empty()) {
        d.ns = config_.defaultNamespace;
    }
    const auto what = fmt::format("updating {}", d.service);
    TRY(withContext(checkDeployment(d), what));
    const api::FunctionRef key{d.service, d.ns};
    auto op = opLock(key);
    std::lock_guard opGuard(*op);
    uint64_t desired = 0;
    std::shared_ptr<const ReplicaTemplate> oldTmpl;
    {
        std::lock_guard lock(mu_);
        auto it = functions_.find(key);
        if (it == functions_.end()) {
            return fail(Code::NotFound, "{}: function {} not found in namespace {}", what,
                        d.service, d.ns);
        }
        desired = it->second.desired;
        oldTmpl = it->second.tmpl;
    }
    TRY_ASSIGN(auto tmpl, withContext(makeTemplate(d), what));
    bool done = false;
    ScopeExit secretsGuard([&] {
        if (!done && !tmpl->secretsDir.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(tmpl->secretsDir, ec);
        }
    });
    // New replicas first: the old ones keep serving until these answer.
    TRY_ASSIGN(auto fresh, withContext(startReady(d, *tmpl, desired), what));
    containerd::Container record{.id = d.service,
                                 .labels = recordLabels(d, desired, tmpl->process)};
    if (auto updated = inNs(d.ns).containers().update(record, {"labels"}); !updated) {
        for (const auto& r : fresh) {
            destroyReplica(d.ns, d.service, r.id);
        }
        return fail(updated.error().context(what + ": updating the function record"));
    }
    std::vector<Replica> old;
    {
        std::lock_guard lock(mu_);
        auto& fn = functions_[key];
        for (auto& [id, r] : fn.replicas) {
            r.state = ReplicaState::Stopping;
            old.push_back(r);
        }
        fn.replicas.clear();
        for (auto& r : fresh) {
            fn.replicas[r.id] = std::move(r);
        }
        fn.deployment = d;
        fn.timeout = upstreamTimeoutOf(d).value_or(UpstreamTimeout{});
        fn.process = tmpl->process;
        fn.tmpl = tmpl;
        fn.parked = false;
    }
    done = true;
    std::vector<std::thread> stops;
    for (const auto& r : old) {
        stops.emplace_back([this, &d, r] { stopReplica(d.ns, d.service, r); });
    }
    for (auto& t : stops) {
        t.join();
    }
    if (oldTmpl && !oldTmpl->secretsDir.empty() && oldTmpl->secretsDir != tmpl->secretsDir) {
        std::error_code ec;
        std::filesystem::remove_all(oldTmpl->secretsDir, ec);
    }
    kLog.info("updated {}", key);
    return {};
}

Result<void> ContainerdProvider::remove(const std::string& name, const std::string& nsIn) {
    const std::string ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    const api::FunctionRef key{name, ns};
    auto op = opLock(key);
    std::lock_guard opGuard(*op);
    {
        std::lock_guard lock(mu_);
        if (!functions_.contains(key)) {
            return fail(Code::NotFound, "removing {}: function {} not found in namespace {}", name,
                        name, ns);
        }
    }
    removeLocked(key);
    kLog.info("removed {}", key);
    return {};
}

void ContainerdProvider::removeLocked(const api::FunctionRef& key) {
    const auto& [name, ns] = key;
    std::vector<Replica> old;
    {
        std::lock_guard lock(mu_);
        auto& fn = functions_[key];
        for (auto& [id, r] : fn.replicas) {
            r.state = ReplicaState::Stopping;
            old.push_back(r);
        }
    }
    std::vector<std::thread> stops;
    for (const auto& r : old) {
        stops.emplace_back([this, &ns, &name, r] { stopReplica(ns, name, r); });
    }
    for (auto& t : stops) {
        t.join();
    }
    (void)inNs(ns).containers().remove(name);
    std::error_code ec;
    std::filesystem::remove_all(functionDir(ns, name), ec);
    std::filesystem::remove_all(logDir(ns, name), ec);
    std::lock_guard lock(mu_);
    functions_.erase(key);
}

Result<void> ContainerdProvider::scale(const std::string& name, const std::string& nsIn,
                                       uint64_t replicas) {
    const std::string ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    const auto what = fmt::format("scaling {} to {}", name, replicas);
    if (replicas > config_.maxReplicas) {
        return fail(Code::InvalidArgument, "{}: at most {} replicas are allowed", what,
                    config_.maxReplicas);
    }
    if (static_cast<int64_t>(replicas) < 0) {
        return fail(Code::InvalidArgument, "{}: replicas may not be negative", what);
    }
    const api::FunctionRef key{name, ns};
    auto op = opLock(key);
    std::lock_guard opGuard(*op);
    {
        std::lock_guard lock(mu_);
        if (!functions_.contains(key)) {
            return fail(Code::NotFound, "{}: function {} not found in namespace {}", what, name,
                        ns);
        }
    }
    return withContext(scaleLocked(key, replicas), what);
}

Result<void> ContainerdProvider::setDesired(const api::FunctionRef& key,
                                            const api::FunctionDeployment& d, uint64_t n) {
    std::optional<std::string> process;
    {
        std::lock_guard lock(mu_);
        if (auto it = functions_.find(key); it != functions_.end()) {
            process = it->second.process;
        }
    }
    containerd::Container record{.id = key.name, .labels = recordLabels(d, n, process)};
    TRY(withContext(inNs(key.ns).containers().update(record, {"labels"}),
                    "updating the function record"));
    std::lock_guard lock(mu_);
    functions_[key].desired = n;
    return {};
}

Result<void> ContainerdProvider::scaleLocked(const api::FunctionRef& key, uint64_t n) {
    const auto& [name, ns] = key;
    // A parked function thaws first: its replicas serve again, or go.
    (void)resumeLocked(key);
    api::FunctionDeployment d;
    uint64_t before = 0;
    uint64_t live = 0;
    std::shared_ptr<const ReplicaTemplate> tmpl;
    {
        std::lock_guard lock(mu_);
        auto& fn = functions_[key];
        d = fn.deployment;
        before = fn.desired;
        live = fn.replicas.size();
        tmpl = fn.tmpl;
    }
    TRY(setDesired(key, d, n));
    if (n > live) {
        if (!tmpl) {
            auto made = makeTemplate(d);
            if (!made) {
                (void)setDesired(key, d, before);
                return fail(made.error());
            }
            tmpl = *made;
            std::lock_guard lock(mu_);
            auto& fn = functions_[key];
            fn.tmpl = tmpl;
            // An old record's process, known now; the next record write
            // keeps it (until then recovery reads it from these replicas).
            if (!fn.process) {
                fn.process = tmpl->process;
            }
        }
        auto started = startReady(d, *tmpl, n - live);
        if (!started) {
            (void)setDesired(key, d, before);
            return fail(started.error());
        }
        std::lock_guard lock(mu_);
        auto& fn = functions_[key];
        for (auto& r : *started) {
            fn.replicas[r.id] = std::move(r);
        }
        return {};
    }
    std::vector<Replica> victims;
    {
        std::lock_guard lock(mu_);
        auto& fn = functions_[key];
        // Replicas that do not serve go first.
        std::vector<std::string> order;
        for (const auto& [id, r] : fn.replicas) {
            if (r.state != ReplicaState::Ready) {
                order.push_back(id);
            }
        }
        for (const auto& [id, r] : fn.replicas) {
            if (r.state == ReplicaState::Ready) {
                order.push_back(id);
            }
        }
        for (size_t i = 0; i < live - n; ++i) {
            auto it = fn.replicas.find(order[i]);
            it->second.state = ReplicaState::Stopping;
            victims.push_back(it->second);
            fn.replicas.erase(it);
        }
    }
    std::vector<std::thread> stops;
    for (const auto& r : victims) {
        stops.emplace_back([this, &ns, &name, r] { stopReplica(ns, name, r); });
    }
    for (auto& t : stops) {
        t.join();
    }
    return {};
}

} // namespace faasd::provider
