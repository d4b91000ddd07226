#include "daemon/component_config.hpp"

#include "common/files.hpp"
#include "daemon/etcd_member.hpp"
#include "image/pull.hpp"
#include "network/blocked_routes.hpp"
#include "provider/userns.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <faasd_version.h>
#include <filesystem>
#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

namespace faasd::daemon {

namespace {

// FAASD_CALLBACK_ALLOW was checked when the configuration was read.
OutboundPolicy callbackPolicyFrom(const config::DaemonConfig& c) {
    auto policy = OutboundPolicy::restrictive(c.callbackAllow);
    return policy ? *policy : *OutboundPolicy::restrictive(""); // never open by mistake
}

// The local address of a UDP socket "connected" to url's host: the one this
// host sends from toward it (no packet is sent).
Result<std::string> addressToward(const std::string& url) {
    auto hostStart = url.find("://");
    std::string rest = hostStart == std::string::npos ? url : url.substr(hostStart + 3);
    const auto colon = rest.rfind(':');
    const std::string host = rest.substr(0, colon);
    const std::string port =
        colon == std::string::npos ? "2379" : rest.substr(colon + 1, rest.find('/') - colon - 1);
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_DGRAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0 || found == nullptr) {
        return fail(Code::Unavailable,
                    "cluster: cannot resolve {} to find this node's address; "
                    "set FAASD_CLUSTER_ADDRESS",
                    host);
    }
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    socklen_t len = sizeof local;
    const bool ok = fd >= 0 && ::connect(fd, found->ai_addr, found->ai_addrlen) == 0 &&
                    ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) == 0;
    freeaddrinfo(found);
    if (fd >= 0) {
        ::close(fd);
    }
    char text[INET_ADDRSTRLEN] = {};
    if (!ok || inet_ntop(AF_INET, &local.sin_addr, text, sizeof text) == nullptr) {
        return fail(Code::Unavailable,
                    "cluster: no route to {} to find this node's address; set "
                    "FAASD_CLUSTER_ADDRESS",
                    host);
    }
    return std::string(text);
}

} // namespace

Result<cluster::ClusterConfig> clusterConfigFrom(const config::DaemonConfig& c) {
    const auto& k = c.cluster;
    cluster::ClusterConfig out;
    out.etcd.endpoints = k.etcd;
    out.etcd.caFile = k.etcdCa;
    out.etcd.certFile = k.etcdCert;
    out.etcd.keyFile = k.etcdKey;
    out.prefix = k.prefix;
    out.node.name = k.node.empty() ? hostName() : k.node;
    if (!k.members.empty()) {
        // This node runs a member: the etcd client tries it first, and the
        // others reach the node at the member's address.
        TRY_ASSIGN(auto self, localMember(k, hostName()));
        auto local =
            std::find(out.etcd.endpoints.begin(), out.etcd.endpoints.end(), self.clientUrl());
        if (local != out.etcd.endpoints.end()) {
            std::rotate(out.etcd.endpoints.begin(), local, local + 1);
        }
        if (k.address.empty()) {
            TRY_ASSIGN(out.node.address, ipv4Of(self.host));
        }
    }
    if (!k.address.empty()) {
        out.node.address = k.address;
    } else if (out.node.address.empty()) {
        TRY_ASSIGN(out.node.address, addressToward(k.etcd.front()));
    }
    out.node.gatewayPort = c.gatewayPort;
    out.node.subnet = c.cniSubnet;
    out.node.leaseTtl = std::chrono::ceil<std::chrono::seconds>(k.leaseTtl);
    out.provider.maxReplicas = c.maxReplicas;
    out.provider.readinessTimeout = c.readinessTimeout;
    return out;
}

provider::ProviderConfig providerConfigFrom(const config::DaemonConfig& c) {
    provider::ProviderConfig p;
    p.stateDir = c.providerStateDir;
    p.containerdSocket = c.containerdSocket;
    p.snapshotter = c.snapshotter;
    p.cgroupParent = c.cgroupParent;
    p.network.bridge = c.cniBridge;
    p.network.subnet = c.cniSubnet;
    p.network.confDir = c.cniConfDir;
    p.network.pluginDirs.assign(c.cniPluginDirs.begin(), c.cniPluginDirs.end());
    p.network.netnsDir = c.netnsDir;
    p.network.ipamDataDir = c.cniIpamDir;
    p.network.stateDir = std::filesystem::path(c.providerStateDir) / "cni";
    // FAASD_FUNCTION_EGRESS_ALLOW was checked when the configuration was
    // read; should it not parse here, nothing is lifted.
    p.network.blocked = network::blockedDestinations(c.functionEgressAllow)
                            .value_or(network::defaultBlockedDestinations());
    p.pullPolicy = image::parsePullPolicy(c.pullPolicy).value_or(image::PullPolicy::IfNotPresent);
    p.registry.insecure = c.insecureRegistries;
    p.registry.mirrors = c.registryMirrors;
    std::error_code ec;
    if (std::filesystem::exists(c.dockerConfig, ec)) {
        p.registry.dockerConfig = c.dockerConfig;
    }
    if (!c.functionUserns.empty()) { // checked when the configuration was read
        if (auto range = provider::parseIdRange(c.functionUserns)) {
            p.userns = *range;
        }
    }
    p.nameservers = c.nameservers;
    p.readinessTimeout = c.readinessTimeout;
    p.maxReplicas = c.maxReplicas;
    p.version = FAASD_VERSION;
    return p;
}

queue::QueueConfig queueConfigFrom(const config::DaemonConfig& c) {
    const auto& q = c.queue;
    return {.database = c.queueDatabase(),
            .fullSync = q.fullSync,
            .maxItems = q.maxItems,
            .maxBytes = q.maxBytes,
            .maxBodyBytes = q.maxBodyBytes,
            .workers = static_cast<unsigned>(q.workers),
            .perReplica = static_cast<unsigned>(q.perReplica),
            .maxAttempts = static_cast<unsigned>(q.maxAttempts),
            .retryDelay = q.retryDelay,
            .maxRetryDelay = q.maxRetryDelay,
            .callbackAttempts = static_cast<unsigned>(q.callbackAttempts),
            .callbackPolicy = callbackPolicyFrom(c),
            .shutdownTimeout = q.shutdownTimeout,
            .keepCompleted = q.keepCompleted};
}

cluster::ClusterQueueConfig clusterQueueConfigFrom(const config::DaemonConfig& c,
                                                   const std::string& node) {
    const auto q = queueConfigFrom(c);
    cluster::ClusterQueueConfig out;
    // Beside the cluster's prefix, not under it: the nodes' watch of the
    // cluster's state never sees the queue's traffic.
    auto base = c.cluster.prefix;
    while (base.size() > 1 && base.ends_with('/')) {
        base.pop_back();
    }
    out.prefix = base + "-queue/";
    out.node = node;
    out.workers = q.workers;
    out.maxItems = std::min<uint64_t>(q.maxItems, out.maxItems);
    out.maxBodyBytes = std::min<uint64_t>(q.maxBodyBytes, out.maxBodyBytes);
    out.retry = queue::retryPolicyOf(q);
    out.callback = queue::callbackPolicyOf(q);
    out.shutdownTimeout = q.shutdownTimeout;
    out.keepCompleted = q.keepCompleted;
    return out;
}

gateway::GatewayConfig gatewayConfigFrom(const config::DaemonConfig& c,
                                         const DaemonCredentials& credentials,
                                         std::string internalToken) {
    gateway::GatewayConfig g;
    g.bindAddress = c.gatewayAddress;
    g.port = c.gatewayPort;
    g.authEnabled = c.basicAuth;
    g.credentials = {credentials.user, credentials.password};
    g.maxBodyBytes = c.maxBodyBytes;
    g.upstreamTimeout = c.upstreamTimeout;
    g.history = c.metricsHistory;
    g.internalToken = std::move(internalToken);
    g.tls = {.certFile = c.tlsCert,
             .keyFile = c.tlsKey,
             .redirectPlain = c.tlsPlainHttp == "redirect",
             .watch = c.tlsWatch};
    g.callbackPolicy = callbackPolicyFrom(c);
    if (c.queue.enabled) {
        // Accepts wait on the blocking pool for their group commit.
        g.blockingThreads = std::max<unsigned>(g.blockingThreads, c.queue.acceptThreads);
    }
    if (c.builder.enabled) {
        // Builds run on the blocking pool, each holding a thread for as long
        // as it builds, so the pool grows by as many as may run at once.
        g.blockingThreads += static_cast<unsigned>(c.builder.concurrency);
    }
    return g;
}

} // namespace faasd::daemon
