#pragma once

// The function builder API behind the gateway's POST /build: its settings
// from the daemon's, and the adapter from the gateway's port to
// build::RemoteBuilder.

#include "build/builder_api.hpp"
#include "config/daemon_config.hpp"
#include "gateway/function_builder.hpp"

#include <string>
#include <vector>

namespace faasd::daemon {

// The function builder's settings from the daemon's: its limits, the
// payload secret, the trusted templates, the fwatchdog to pack and the
// registry settings the provider pulls with. What cannot be found
// (templates, fwatchdog) is left empty and named in warnings.
build::RemoteBuilderConfig builderConfigFrom(const config::DaemonConfig& config,
                                             const std::string& payloadSecret,
                                             std::vector<std::string>& warnings);

// The gateway's POST /build served by a RemoteBuilder.
class GatewayBuilder : public gateway::FunctionBuilder {
public:
    explicit GatewayBuilder(build::RemoteBuilder& builder) : builder_(builder) {}
    gateway::BuildAnswer build(const gateway::BuildCall& call) override;

private:
    build::RemoteBuilder& builder_;
};

} // namespace faasd::daemon
