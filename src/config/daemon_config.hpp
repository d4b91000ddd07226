#pragma once

// The daemon's configuration: a pure function of the environment, so tests
// feed a map. Every variable is one row of the table envVars() returns (its
// name, default, parser and meaning); fromEnv is a loop over that table.
// Flags of `faasd up` are applied on top by the daemon. Every setting is
// documented in docs/CONFIGURATION.md.

#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::config {

using Env = std::map<std::string, std::string>;

// The process environment as an Env.
Env processEnv();

// The durable async queue (FAASD_QUEUE_*).
struct QueueSettings {
    bool enabled = true;
    bool fullSync = true;               // FAASD_QUEUE_SYNC=full|normal
    uint64_t maxItems = 100'000;        // stored requests not yet completed
    uint64_t maxBytes = 1ull << 30;     // their size
    uint64_t maxBodyBytes = 8ull << 20; // one request's body
    uint64_t workers = 32;              // requests running at once
    uint64_t perReplica = 4;            // per ready replica without max_inflight
    uint64_t maxAttempts = 5;
    std::chrono::milliseconds retryDelay{1'000};
    std::chrono::milliseconds maxRetryDelay{300'000};
    uint64_t callbackAttempts = 5;
    std::chrono::milliseconds invokeTimeout{600'000};
    std::chrono::milliseconds shutdownTimeout{30'000};
    std::chrono::milliseconds keepCompleted{3'600'000};
    uint64_t acceptThreads = 64; // accepts waiting for their commit at once

    bool operator==(const QueueSettings&) const = default;
};

// The function builder API (FAASD_BUILDER*), POST /build.
struct BuilderSettings {
    bool enabled = true;             // false: /build answers 404
    uint64_t maxBytes = 32ull << 20; // upload and unpacked size; default maxBodyBytes
    uint64_t concurrency = 1;        // builds at once; more are 429
    std::string buildahRoot;         // buildah's storage root; empty: buildah's default

    bool operator==(const BuilderSettings&) const = default;
};

// Function triggers: cron schedules and MQTT topics (FAASD_TRIGGER*,
// FAASD_MQTT_*).
struct TriggerSettings {
    bool enabled = true;
    std::vector<std::string> namespaces; // that may have triggers; empty: all
    std::chrono::milliseconds resync{5'000};
    std::string mqttBroker;   // mqtt://host:port or mqtts://host:port; empty: no MQTT
    std::string mqttClientId; // empty: faasd-<hostname>
    std::string mqttUsername;
    std::string mqttPasswordFile;
    std::string mqttShareGroup = "faasd";
    std::string mqttCaFile; // mqtts: the CA to trust; empty: the system's

    bool operator==(const TriggerSettings&) const = default;
};

// One etcd member of FAASD_CLUSTER_MEMBERS, that faasd runs on the node of
// the same name: "name=host" or "name=host:CLIENTPORT:PEERPORT".
struct ClusterMember {
    std::string name;
    std::string host; // an IPv4 address or a host name
    uint16_t clientPort = 2379;
    uint16_t peerPort = 2380;

    std::string clientUrl() const; // http://host:clientPort
    std::string peerUrl() const;   // http://host:peerPort
    bool operator==(const ClusterMember&) const = default;
};

// Cluster mode: empty etcd means one VM, and nothing below is used.
struct ClusterSettings {
    // The etcd members each node's faasd runs (FAASD_CLUSTER_MEMBERS); empty:
    // the members are run by someone else, at etcd.
    std::vector<ClusterMember> members;
    std::string etcdBinary = "etcd"; // started as this node's member
    std::vector<std::string> etcd;   // http(s)://host:port of the etcd members
    std::string node;                // this node's name; empty: the host name
    std::string address;             // where the others reach it; empty: found at start
    std::chrono::milliseconds leaseTtl{5'000};
    std::string etcdCa; // https endpoints: the CA, and the client's pair
    std::string etcdCert;
    std::string etcdKey;
    std::string prefix = "/faasd/";

    bool enabled() const { return !etcd.empty(); }
    bool operator==(const ClusterSettings&) const = default;
};

struct DaemonConfig {
    // gateway
    std::string gatewayAddress = "0.0.0.0";
    uint16_t gatewayPort = 8080;
    bool basicAuth = true;
    uint64_t maxBodyBytes = 32ull << 20;
    // How long the invoke proxy waits on a function's each read and write
    // (a streaming answer keeps flowing past it).
    std::chrono::milliseconds upstreamTimeout{60'000};
    // The metrics history behind the UI's charts (in memory).
    bool metricsHistory = true;
    // HTTPS on the gateway's port: PEM files, both set or neither.
    std::string tlsCert;
    std::string tlsKey;
    std::string tlsPlainHttp = "redirect";     // or "refuse"
    std::chrono::milliseconds tlsWatch{2'000}; // 0: reload on SIGHUP only

    // state
    std::string stateDir = "/var/lib/faasd";
    std::string providerStateDir = "/var/lib/faasd-provider";

    // containerd
    std::string containerdSocket = "/run/containerd/containerd.sock";
    std::string containerdBinary = "containerd";
    bool startContainerd = true; // when none answers and the binary exists
    std::string snapshotter = "overlayfs";
    // Replicas' cgroups go under <cgroupParent>/<namespace>/<replica id>.
    std::string cgroupParent = "/faasd";

    // network
    std::string cniBridge = "openfaas0";
    std::string cniSubnet = "10.62.0.0/16";
    // Addresses or CIDRs of the destinations functions are refused by
    // default (the metadata address) that they may reach after all.
    std::vector<std::string> functionEgressAllow;
    // START:COUNT host ids functions' ids map to in a user namespace of
    // their own; empty: none.
    std::string functionUserns;
    std::string cniConfDir = "/etc/cni/net.d";
    std::vector<std::string> cniPluginDirs = {"/usr/lib/cni", "/opt/cni/bin"};
    std::string cniIpamDir = "/var/run/cni"; // host-local IPAM leases
    std::string netnsDir = "/var/run/netns";
    std::vector<std::string> nameservers; // empty: the host's

    // images
    std::string pullPolicy = "IfNotPresent";
    std::vector<std::string> insecureRegistries;
    std::map<std::string, std::vector<std::string>> registryMirrors;
    std::string dockerConfig; // empty: $HOME/.docker/config.json when present

    // functions
    std::chrono::milliseconds readinessTimeout{30'000};
    uint64_t maxReplicas = 20;
    bool stopFunctionsOnExit = false;

    // scaler
    bool scalerEnabled = true;
    std::chrono::milliseconds scalerTick{1'000};
    std::chrono::milliseconds scaleZeroDuration{15 * 60'000}; // label default
    std::chrono::milliseconds scaleDownWindow{30'000};
    bool scalerPark = true;
    std::chrono::milliseconds scalerEvictAfter{60 * 60'000}; // 0: never
    uint64_t scalerMinFreeMemoryPercent = 10;                // 0: never

    std::string logLevel = "info";

    QueueSettings queue;
    std::string queueDatabase() const { return stateDir + "/queue.db"; }

    // Where X-Callback-Url may point besides public addresses (CIDRs,
    // addresses, host names): loopback, link-local and own addresses are
    // refused unless listed.
    std::string callbackAllow;

    TriggerSettings triggers;
    // The last run of each cron trigger, to catch up what a restart missed.
    std::string triggersStateFile() const { return stateDir + "/triggers.json"; }

    BuilderSettings builder;

    ClusterSettings cluster;
    // The function builder API's HMAC key, beside the basic-auth files.
    std::string payloadSecretFile() const { return stateDir + "/secrets/payload-secret"; }
    // Where uploads are extracted while they build.
    std::string buildsDir() const { return stateDir + "/builds"; }

    // The gateway's basic-auth credential files under stateDir.
    std::string basicAuthUserFile() const { return stateDir + "/secrets/basic-auth-user"; }
    std::string basicAuthPasswordFile() const { return stateDir + "/secrets/basic-auth-password"; }

    bool operator==(const DaemonConfig&) const = default;
};

// One environment variable of the daemon.
struct EnvVar {
    // Parses a set, non-empty value into its field; a bad value is
    // InvalidArgument naming the variable.
    using Apply =
        std::function<Result<void>(DaemonConfig&, std::string_view name, const std::string& value)>;
    // Fills a default that follows other settings, when the variable is unset.
    using Derive = void (*)(DaemonConfig&, const Env&);

    std::string_view name;
    std::string_view fallback; // the default as it would be written; "" is none
    Apply apply;
    std::string_view doc;
    Derive derive = nullptr; // set when the default is not fallback but follows others
};

// Every variable fromEnv reads, in the order it reads them (a variable may
// be checked against those before it).
const std::vector<EnvVar>& envVars();

// Reads FAASD_* (and CNI_PATH) variables, as envVars() lists them; an empty
// variable counts as unset; a bad value is InvalidArgument naming the
// variable.
Result<DaemonConfig> fromEnv(const Env& env);

// FAASD_CLUSTER_MEMBERS' value: "name=host[:CLIENTPORT:PEERPORT],...".
Result<std::vector<ClusterMember>> parseClusterMembers(std::string_view text);

// "10s", "500ms", "2m", "1h" or plain seconds ("30").
Result<std::chrono::milliseconds> parseDuration(std::string_view text);

} // namespace faasd::config
