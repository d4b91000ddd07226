#pragma once

// Settings of the containerd provider. Plain data with the production
// defaults; `faasd up` fills it from the environment, tests point every
// path at a temp dir and bring their own network.

#include "image/pull.hpp"
#include "network/network_config.hpp"
#include "provider/spec.hpp"

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace faasd::provider {

struct ProviderConfig {
    // Secrets, per-function files (hosts, resolv.conf, secret copies) and
    // replica logs live under here.
    std::filesystem::path stateDir = "/var/lib/faasd-provider";
    std::string containerdSocket = "/run/containerd/containerd.sock";
    // Always present, labelled openfaas=1 at start.
    std::string defaultNamespace = "openfaas-fn";
    std::string snapshotter = "overlayfs";
    std::string runtime = "io.containerd.runc.v2";
    // Replicas' cgroups go under <cgroupParent>/<namespace>/<container id>.
    std::string cgroupParent = "/faasd";
    // Where the cgroup file systems are mounted (usage is read there).
    std::filesystem::path cgroupRoot = "/sys/fs/cgroup";
    // The CNI network; its netnsDir is where replicas' namespaces live.
    network::NetworkConfig network;

    image::PullPolicy pullPolicy = image::PullPolicy::IfNotPresent;
    image::RegistryOptions registry;

    // Nameservers written into every replica's /etc/resolv.conf; empty: the
    // host's (from hostResolvConf), never a hard-coded public resolver.
    std::vector<std::string> nameservers;
    std::filesystem::path hostResolvConf = "/etc/resolv.conf";

    // A deploy, scale or update waits this long for new replicas to answer.
    std::chrono::milliseconds readinessTimeout{30'000};
    // How often a starting replica is probed.
    std::chrono::milliseconds readinessInterval{10};
    // SIGTERM, then SIGKILL after this long.
    std::chrono::milliseconds stopGracePeriod{5'000};
    // Backoff for restarting crashed replicas: doubles from min up to max.
    std::chrono::milliseconds restartBackoffMin{200};
    std::chrono::milliseconds restartBackoffMax{10'000};

    uint64_t maxReplicas = 20;
    int64_t pidsLimit = 1024;
    // The user-namespaced mode (userns.hpp): host ids the functions' ids
    // map to; nullopt: functions use the host's ids.
    std::optional<IdRange> userns;
    // A replica's log file is rotated (copied to .1, truncated) past this.
    uint64_t maxLogBytes = 1 << 20;
    // Whether to enable /proc/sys/net/ipv4/ip_forward at start.
    bool enableIpForward = true;

    std::string providerName = "faasd-cpp";
    std::string version = "0.1.0";
    std::string sha = "unknown";
};

} // namespace faasd::provider
