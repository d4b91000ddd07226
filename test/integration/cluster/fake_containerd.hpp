#pragma once

// What a node's containerd runs, in memory: the local Provider under a
// cluster node's Reconciler in the cluster tests. Functions, their replica
// counts, secrets and namespaces are kept in maps; every replica is ready
// at once, with a fake IP that names the node (10.62.<node>.<replica>).
// Deploys of an image in failImages fail as a pull would.

#include "provider/labels.hpp"
#include "provider/provider.hpp"

#include <charconv>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <vector>

namespace faasd::testing {

class FakeContainerd final : public provider::Provider {
public:
    explicit FakeContainerd(int node) : node_(node) {}

    struct Function {
        api::FunctionDeployment deployment;
        uint64_t replicas = 0;
    };

    // --- What the tests read and set.
    std::map<api::FunctionRef, Function> functions() const {
        std::lock_guard lock(mutex_);
        return functions_;
    }
    uint64_t replicas(const std::string& name, const std::string& ns = "openfaas-fn") const {
        std::lock_guard lock(mutex_);
        auto it = functions_.find({name, ns});
        return it == functions_.end() ? 0 : it->second.replicas;
    }
    std::optional<api::FunctionDeployment> deployment(const std::string& name,
                                                      const std::string& ns = "openfaas-fn") const {
        std::lock_guard lock(mutex_);
        auto it = functions_.find({name, ns});
        if (it == functions_.end()) {
            return std::nullopt;
        }
        return it->second.deployment;
    }
    bool hasSecret(const std::string& name, const std::string& ns = "openfaas-fn") const {
        std::lock_guard lock(mutex_);
        return secrets_.contains({ns, name});
    }
    std::string secretValue(const std::string& name, const std::string& ns = "openfaas-fn") const {
        std::lock_guard lock(mutex_);
        auto it = secrets_.find({ns, name});
        return it == secrets_.end() ? std::string() : it->second;
    }
    void failImage(const std::string& image) {
        std::lock_guard lock(mutex_);
        failImages_.insert(image);
    }
    // "deploy", "update", "scale", "remove" calls, in order.
    std::vector<std::string> calls() const {
        std::lock_guard lock(mutex_);
        return calls_;
    }

    // --- provider::Provider
    Result<void> deploy(const api::FunctionDeployment& d) override {
        std::lock_guard lock(mutex_);
        calls_.push_back("deploy " + d.service);
        const api::FunctionRef fn{d.service, d.ns};
        if (functions_.contains(fn)) {
            return fail(Code::AlreadyExists, "deploying {}: it already exists", d.service);
        }
        if (failImages_.contains(d.image)) {
            return fail(Code::FailedPrecondition, "deploying {}: pulling {}: not found", d.service,
                        d.image);
        }
        for (const auto& secret : d.secrets) {
            if (!secrets_.contains({d.ns, secret})) {
                return fail(Code::FailedPrecondition, "deploying {}: secret {} not found",
                            d.service, secret);
            }
        }
        functions_[fn] = {.deployment = d, .replicas = scaleMin(d)};
        return {};
    }
    Result<void> update(const api::FunctionDeployment& d) override {
        std::lock_guard lock(mutex_);
        calls_.push_back("update " + d.service);
        auto it = functions_.find({d.service, d.ns});
        if (it == functions_.end()) {
            return fail(Code::NotFound, "updating {}: not found", d.service);
        }
        if (failImages_.contains(d.image)) {
            return fail(Code::FailedPrecondition, "updating {}: pulling {}: not found", d.service,
                        d.image);
        }
        it->second.deployment = d;
        return {};
    }
    Result<void> remove(const std::string& name, const std::string& ns) override {
        std::lock_guard lock(mutex_);
        calls_.push_back("remove " + name);
        if (functions_.erase({name, ns}) == 0) {
            return fail(Code::NotFound, "removing {}: not found", name);
        }
        return {};
    }
    Result<std::vector<api::FunctionStatus>> list(const std::string& ns) override {
        std::lock_guard lock(mutex_);
        std::vector<api::FunctionStatus> out;
        for (const auto& [fn, f] : functions_) {
            if (fn.ns == ns) {
                out.push_back(status(f));
            }
        }
        return out;
    }
    Result<api::FunctionStatus> get(const std::string& name, const std::string& ns) override {
        std::lock_guard lock(mutex_);
        auto it = functions_.find({name, ns});
        if (it == functions_.end()) {
            return fail(Code::NotFound, "function {} not found in namespace {}", name, ns);
        }
        return status(it->second);
    }
    Result<void> scale(const std::string& name, const std::string& ns, uint64_t n) override {
        std::lock_guard lock(mutex_);
        calls_.push_back("scale " + name + " " + std::to_string(n));
        auto it = functions_.find({name, ns});
        if (it == functions_.end()) {
            return fail(Code::NotFound, "scaling {}: not found", name);
        }
        it->second.replicas = n;
        return {};
    }
    Result<std::vector<provider::Endpoint>> resolve(const std::string& name,
                                                    const std::string& ns) override {
        std::lock_guard lock(mutex_);
        auto it = functions_.find({name, ns});
        if (it == functions_.end()) {
            return fail(Code::NotFound, "function {} not found in namespace {}", name, ns);
        }
        std::vector<provider::Endpoint> out;
        for (uint64_t i = 0; i < it->second.replicas; ++i) {
            out.push_back({.instance = fmt::format("{}-n{}-{}", name, node_, i),
                           .ip = fmt::format("10.62.{}.{}", node_, i + 2)});
        }
        return out;
    }

    Result<std::vector<api::Secret>> listSecrets(const std::string& ns) override {
        std::lock_guard lock(mutex_);
        std::vector<api::Secret> out;
        for (const auto& [key, value] : secrets_) {
            if (key.first == ns) {
                out.push_back({.name = key.second, .ns = ns});
            }
        }
        return out;
    }
    Result<void> createSecret(const api::Secret& s) override {
        std::lock_guard lock(mutex_);
        if (!secrets_.emplace(std::pair(s.ns, s.name), s.bytes()).second) {
            return fail(Code::AlreadyExists, "creating secret {}: it exists", s.name);
        }
        return {};
    }
    Result<void> updateSecret(const api::Secret& s) override {
        std::lock_guard lock(mutex_);
        auto it = secrets_.find({s.ns, s.name});
        if (it == secrets_.end()) {
            return fail(Code::NotFound, "updating secret {}: not found", s.name);
        }
        it->second = s.bytes();
        return {};
    }
    Result<void> removeSecret(const std::string& name, const std::string& ns) override {
        std::lock_guard lock(mutex_);
        if (secrets_.erase({ns, name}) == 0) {
            return fail(Code::NotFound, "removing secret {}: not found", name);
        }
        return {};
    }

    Result<std::vector<std::string>> listNamespaces() override {
        std::lock_guard lock(mutex_);
        std::vector<std::string> out = {api::kDefaultNamespace};
        for (const auto& [name, ns] : namespaces_) {
            out.push_back(name);
        }
        return out;
    }
    Result<api::NamespaceRequest> getNamespace(const std::string& name) override {
        std::lock_guard lock(mutex_);
        auto it = namespaces_.find(name);
        if (it == namespaces_.end()) {
            return fail(Code::NotFound, "namespace {} not found", name);
        }
        return it->second;
    }
    Result<void> createNamespace(const api::NamespaceRequest& ns) override {
        std::lock_guard lock(mutex_);
        if (ns.name == api::kDefaultNamespace || !namespaces_.emplace(ns.name, ns).second) {
            return fail(Code::AlreadyExists, "creating namespace {}: it exists", ns.name);
        }
        return {};
    }
    Result<void> updateNamespace(const api::NamespaceRequest& ns) override {
        std::lock_guard lock(mutex_);
        namespaces_[ns.name] = ns;
        return {};
    }
    Result<void> removeNamespace(const std::string& name) override {
        std::lock_guard lock(mutex_);
        namespaces_.erase(name);
        return {};
    }

    Result<void> logs(const api::LogRequest&, const provider::LogSink&,
                      const std::atomic<bool>&) override {
        return {};
    }
    api::ProviderInfo info() override { return {.provider = "fake", .orchestration = "memory"}; }

private:
    // com.openfaas.scale.min: what the reconciler starts here.
    static uint64_t scaleMin(const api::FunctionDeployment& d) {
        uint64_t n = 1;
        if (auto it = d.labels.find("com.openfaas.scale.min"); it != d.labels.end()) {
            std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
        }
        return n;
    }
    static api::FunctionStatus status(const Function& f) {
        return provider::makeStatus(f.deployment, std::nullopt, f.replicas, f.replicas, {});
    }

    const int node_;
    mutable std::mutex mutex_;
    std::map<api::FunctionRef, Function> functions_;
    std::map<std::pair<std::string, std::string>, std::string> secrets_; // ns, name -> value
    std::map<std::string, api::NamespaceRequest> namespaces_;
    std::set<std::string> failImages_;
    std::vector<std::string> calls_;
};

} // namespace faasd::testing
