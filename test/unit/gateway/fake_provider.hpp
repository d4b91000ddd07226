#pragma once

// An in-memory Provider for gateway tests. resolve() answers the endpoints
// a test sets, usually TestUpstream servers on 127.0.0.1.

#include "provider/provider.hpp"

#include <atomic>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace faasd::gateway::test {

class FakeProvider : public provider::Provider {
public:
    Result<void> deploy(const api::FunctionDeployment& d) override;
    Result<void> update(const api::FunctionDeployment& d) override;
    Result<void> remove(const std::string& name, const std::string& ns) override;
    Result<std::vector<api::FunctionStatus>> list(const std::string& ns) override;
    Result<api::FunctionStatus> get(const std::string& name, const std::string& ns) override;
    Result<void> scale(const std::string& name, const std::string& ns, uint64_t replicas) override;
    Result<std::vector<provider::Endpoint>> resolve(const std::string& name,
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
    // That of the function's first endpoint (none without one).
    provider::UpstreamTimeout upstreamTimeout(const std::string& name,
                                              const std::string& ns) override;

    // Test controls.
    void setEndpoints(const std::string& name, const std::string& ns,
                      std::vector<provider::Endpoint> endpoints);
    void addFunction(const std::string& name, const std::string& ns, const std::string& image);

    std::mutex mutex;
    std::map<std::string, api::FunctionDeployment> functions; // "name.ns"
    std::map<std::string, uint64_t> replicas;
    std::map<std::string, std::vector<provider::Endpoint>> endpoints;
    std::map<std::string, api::Secret> secrets; // "ns/name"
    std::map<std::string, api::NamespaceRequest> namespaces;
    std::vector<api::LogMessage> logLines;
    bool logFollowBlocks = false;         // after the lines, wait for stop
    std::atomic<bool> logStopSeen{false}; // the stream was stopped
    api::LogRequest lastLogRequest;
    std::string lastNamespace; // of the last function call
};

} // namespace faasd::gateway::test
