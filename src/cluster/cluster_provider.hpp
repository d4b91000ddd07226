#pragma once

// The Provider every gateway of a cluster serves the OpenFaaS API with.
// Changes (deploy, update, scale, remove, secrets, namespaces) are written
// to etcd, the desired state, in transactions; reads come from the watched
// ClusterState; resolve() answers from memory with the ready replicas of
// every node, so the invoke path asks etcd nothing.
//
// deploy and update return when a replica of the new generation is ready
// on some node (or, deploy, the first node's error: the record is removed
// again, leaving nothing; update of a function scaled to zero, once
// written); scale when the ready count is reached; remove
// when no node runs the function any more. Each waits at most the
// readiness timeout. When etcd does not answer, changes fail with
// Unavailable (503) while reads and invocations go on from memory.
//
// Logs are this node's replicas' only.

#include "cluster/state.hpp"
#include "etcd/client.hpp"
#include "provider/provider.hpp"

#include <chrono>
#include <string>

namespace faasd::cluster {

struct ClusterProviderConfig {
    std::string defaultNamespace = "openfaas-fn";
    uint64_t maxReplicas = 20;
    std::chrono::milliseconds readinessTimeout{30'000};
};

class ClusterProvider final : public provider::Provider {
public:
    ClusterProvider(etcd::Client& etcd, ClusterState& state, provider::Provider& local,
                    ClusterProviderConfig config);

    Result<void> deploy(const api::FunctionDeployment& deployment) override;
    Result<void> update(const api::FunctionDeployment& deployment) override;
    Result<void> remove(const std::string& name, const std::string& ns) override;
    Result<std::vector<api::FunctionStatus>> list(const std::string& ns) override;
    Result<api::FunctionStatus> get(const std::string& name, const std::string& ns) override;
    Result<void> scale(const std::string& name, const std::string& ns, uint64_t replicas) override;
    Result<std::vector<provider::Endpoint>> resolve(const std::string& name,
                                                    const std::string& ns) override;
    provider::UpstreamTimeout upstreamTimeout(const std::string& name,
                                              const std::string& ns) override;

    Result<std::vector<api::Secret>> listSecrets(const std::string& ns) override;
    Result<void> createSecret(const api::Secret& secret) override;
    Result<void> updateSecret(const api::Secret& secret) override;
    Result<void> removeSecret(const std::string& name, const std::string& ns) override;

    Result<std::vector<std::string>> listNamespaces() override;
    Result<api::NamespaceRequest> getNamespace(const std::string& name) override;
    Result<void> createNamespace(const api::NamespaceRequest& ns) override;
    Result<void> updateNamespace(const api::NamespaceRequest& ns) override;
    Result<void> removeNamespace(const std::string& name) override;

    Result<void> logs(const api::LogRequest& request, const provider::LogSink& sink,
                      const std::atomic<bool>& stop) override;
    api::ProviderInfo info() override;

private:
    std::string nsOr(const std::string& ns) const;
    Result<void> requireNamespace(const Snapshot& s, const std::string& ns,
                                  std::string_view what) const;
    // What a deploy and an update check first: the deployment itself, its
    // namespace and its secrets.
    Result<void> checkDeployment(const api::FunctionDeployment& d, std::string_view what) const;
    // Waits until the generation written is ready somewhere (at once for
    // a function scaled to zero); the first node's error for it otherwise.
    Result<void> waitReady(const api::FunctionRef& fn, int64_t revision, std::string_view what);
    // Writes replicas into the record (read, compare, write; retried).
    Result<void> setReplicas(const api::FunctionRef& fn, uint64_t replicas, std::string_view what);
    std::chrono::steady_clock::time_point deadline() const;

    etcd::Client& etcd_;
    ClusterState& state_;
    provider::Provider& local_;
    ClusterProviderConfig config_;
};

} // namespace faasd::cluster
