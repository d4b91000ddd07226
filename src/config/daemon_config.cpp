#include "config/daemon_config.hpp"

#include "common/outbound_policy.hpp"

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>

extern char** environ;

namespace faasd::config {
namespace {

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        auto next = text.find(sep, pos);
        auto part =
            text.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos);
        while (!part.empty() && part.front() == ' ') {
            part.remove_prefix(1);
        }
        while (!part.empty() && part.back() == ' ') {
            part.remove_suffix(1);
        }
        if (!part.empty()) {
            out.emplace_back(part);
        }
        if (next == std::string_view::npos) {
            break;
        }
        pos = next + 1;
    }
    return out;
}

Result<bool> parseBool(std::string_view var, const std::string& value) {
    std::string v = value;
    std::transform(v.begin(), v.end(), v.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v == "1" || v == "true" || v == "yes" || v == "on") {
        return true;
    }
    if (v == "0" || v == "false" || v == "no" || v == "off") {
        return false;
    }
    return fail(Code::InvalidArgument, "{}=\"{}\": want true or false", var, value);
}

Result<uint64_t> parseUnsigned(std::string_view var, const std::string& value, uint64_t min,
                               uint64_t max) {
    if (value.empty() || value.find_first_not_of("0123456789") != std::string::npos ||
        value.size() > 18) {
        return fail(Code::InvalidArgument, "{}=\"{}\": want a whole number", var, value);
    }
    uint64_t v = std::strtoull(value.c_str(), nullptr, 10);
    if (v < min || v > max) {
        return fail(Code::InvalidArgument, "{}=\"{}\": want {} to {}", var, value, min, max);
    }
    return v;
}

bool validCidr(const std::string& cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos) {
        return false;
    }
    auto octets = split(cidr.substr(0, slash), '.');
    if (octets.size() != 4) {
        return false;
    }
    for (const auto& o : octets) {
        if (o.empty() || o.size() > 3 || o.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(o) > 255) {
            return false;
        }
    }
    auto bits = cidr.substr(slash + 1);
    return !bits.empty() && bits.size() <= 2 &&
           bits.find_first_not_of("0123456789") == std::string::npos && std::stoi(bits) >= 8 &&
           std::stoi(bits) <= 30;
}

// "a.b.c.d" or "a.b.c.d/n" (n from 0 to 32).
bool validAddressOrCidr(const std::string& text) {
    auto slash = text.find('/');
    auto octets = split(text.substr(0, slash), '.');
    if (octets.size() != 4 || std::count(text.begin(), text.end(), '.') != 3) {
        return false;
    }
    for (const auto& o : octets) {
        if (o.size() > 3 || o.find_first_not_of("0123456789") != std::string::npos ||
            std::stoi(o) > 255) {
            return false;
        }
    }
    if (slash == std::string::npos) {
        return true;
    }
    auto bits = text.substr(slash + 1);
    return !bits.empty() && bits.size() <= 2 &&
           bits.find_first_not_of("0123456789") == std::string::npos && std::stoi(bits) <= 32;
}

// The table's parsers. Each writes the field Path names: one member of
// DaemonConfig, or a member of one of its members (&DaemonConfig::queue,
// &QueueSettings::workers).
template <auto... Path> auto& field(DaemonConfig& c) {
    return (c.*....*Path);
}

using Apply = EnvVar::Apply;
using std::chrono::milliseconds;

template <auto... Path> Apply text() {
    return [](DaemonConfig& c, std::string_view, const std::string& v) -> Result<void> {
        field<Path...>(c) = v;
        return {};
    };
}

// A text accepted by valid; want says what is wanted.
template <auto... Path> Apply checked(bool (*valid)(const std::string&), std::string_view want) {
    return [valid, want](DaemonConfig& c, std::string_view name,
                         const std::string& v) -> Result<void> {
        if (!valid(v)) {
            return fail(Code::InvalidArgument, "{}=\"{}\": {}", name, v, want);
        }
        field<Path...>(c) = v;
        return {};
    };
}

template <auto... Path> Apply flag() {
    return [](DaemonConfig& c, std::string_view name, const std::string& v) -> Result<void> {
        TRY_ASSIGN(field<Path...>(c), parseBool(name, v));
        return {};
    };
}

template <auto... Path> Apply number(uint64_t min, uint64_t max) {
    return
        [min, max](DaemonConfig& c, std::string_view name, const std::string& v) -> Result<void> {
            TRY_ASSIGN(auto n, parseUnsigned(name, v, min, max));
            auto& f = field<Path...>(c);
            f = static_cast<std::remove_reference_t<decltype(f)>>(n);
            return {};
        };
}

template <auto... Path> Apply duration(milliseconds least = milliseconds(0)) {
    return [least](DaemonConfig& c, std::string_view name, const std::string& v) -> Result<void> {
        auto d = parseDuration(v);
        if (!d) {
            return fail(d.error().context(name));
        }
        if (*d < least) {
            return fail(Code::InvalidArgument, "{}=\"{}\": want at least {} ms", name, v,
                        least.count());
        }
        field<Path...>(c) = *d;
        return {};
    };
}

// Items separated by sep, blanks around them dropped.
template <auto... Path> Apply list(char sep) {
    return [sep](DaemonConfig& c, std::string_view, const std::string& v) -> Result<void> {
        field<Path...>(c) = split(v, sep);
        return {};
    };
}

Result<void> functionEgressAllow(DaemonConfig& c, std::string_view name, const std::string& v) {
    auto entries = split(v, ',');
    for (const auto& entry : entries) {
        if (!validAddressOrCidr(entry)) {
            return fail(Code::InvalidArgument, "{}: \"{}\" is not an IPv4 address or CIDR", name,
                        entry);
        }
    }
    c.functionEgressAllow = std::move(entries);
    return {};
}

// "START:COUNT", START at least 1, COUNT at least 65536, within 32 bits
// (the provider's parseIdRange reads it).
bool validIdRange(const std::string& text) {
    auto parts = split(text, ':');
    if (parts.size() != 2 || std::count(text.begin(), text.end(), ':') != 1) {
        return false;
    }
    for (const auto& p : parts) {
        if (p.size() > 10 || p.find_first_not_of("0123456789") != std::string::npos) {
            return false;
        }
    }
    uint64_t start = std::stoull(parts[0]);
    uint64_t count = std::stoull(parts[1]);
    return start >= 1 && count >= 65536 && start + count <= 0xFFFFFFFFull;
}

// An absolute cgroup path: names of letters, digits, '.', '_', '-' (neither
// "." nor ".."), each after a '/'.
bool validCgroupParent(const std::string& path) {
    if (path.size() < 2 || path.front() != '/' || path.back() == '/' ||
        path.find("//") != std::string::npos ||
        path.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                               "0123456789._-/") != std::string::npos) {
        return false;
    }
    const auto padded = path + "/";
    return padded.find("/./") == std::string::npos && padded.find("/../") == std::string::npos;
}

bool validBridge(const std::string& name) {
    return name.size() <= 15;
}

bool validPlainHttp(const std::string& p) {
    return p == "redirect" || p == "refuse";
}

bool validPullPolicy(const std::string& p) {
    return p == "Always" || p == "IfNotPresent" || p == "Never";
}

Result<void> callbackAllow(DaemonConfig& c, std::string_view name, const std::string& v) {
    TRY(withContext(OutboundPolicy::restrictive(v), std::string(name)));
    c.callbackAllow = v;
    return {};
}

Result<void> queueSync(DaemonConfig& c, std::string_view name, const std::string& v) {
    if (v != "full" && v != "normal") {
        return fail(Code::InvalidArgument, "{}=\"{}\": want full or normal", name, v);
    }
    c.queue.fullSync = v == "full";
    return {};
}

// "docker.io=mirror1:5000|mirror2:5000,ghcr.io=m3"
Result<void> registryMirrors(DaemonConfig& c, std::string_view name, const std::string& v) {
    for (const auto& entry : split(v, ',')) {
        auto eq = entry.find('=');
        if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
            return fail(Code::InvalidArgument, "{}: \"{}\" is not registry=mirror[|mirror]", name,
                        entry);
        }
        c.registryMirrors[entry.substr(0, eq)] = split(entry.substr(eq + 1), '|');
    }
    return {};
}

// The gateway refuses larger bodies before the builder sees them.
Result<void> builderMaxBytes(DaemonConfig& c, std::string_view name, const std::string& v) {
    TRY_ASSIGN(c.builder.maxBytes, parseUnsigned(name, v, 1024, c.maxBodyBytes));
    return {};
}

void builderMaxBytesFollowsBody(DaemonConfig& c, const Env&) {
    c.builder.maxBytes = c.maxBodyBytes;
}

Result<void> clusterEtcd(DaemonConfig& c, std::string_view name, const std::string& v) {
    c.cluster.etcd = split(v, ',');
    for (const auto& url : c.cluster.etcd) {
        if (!(url.starts_with("http://") || url.starts_with("https://")) ||
            url.find(':', 8) == std::string::npos) {
            return fail(Code::InvalidArgument,
                        "{}: \"{}\" is not http://host:port or https://host:port", name, url);
        }
    }
    return {};
}

Result<void> clusterMembers(DaemonConfig& c, std::string_view name, const std::string& v) {
    auto members = parseClusterMembers(v);
    if (!members) {
        return fail(members.error().context(name));
    }
    c.cluster.members = std::move(*members);
    return {};
}

// Without FAASD_CLUSTER_ETCD, the members faasd runs are the cluster's etcd.
void clusterEtcdFromMembers(DaemonConfig& c, const Env&) {
    for (const auto& m : c.cluster.members) {
        c.cluster.etcd.push_back(m.clientUrl());
    }
}

// A member's name is its node's: the cluster's rule for node names (1 to
// 63 of a-z, 0-9, '-' and '.', a letter or digit at each end).
bool validMemberName(std::string_view name) {
    auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    return !name.empty() && name.size() <= 63 && alnum(name.front()) && alnum(name.back()) &&
           std::all_of(name.begin(), name.end(),
                       [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

// An IPv4 address or a host name (letters, digits, '-' and '.').
bool validHost(std::string_view host) {
    return !host.empty() && host.size() <= 253 && host.front() != '-' && host.front() != '.' &&
           host.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                  "0123456789.-") == std::string_view::npos;
}

std::optional<uint16_t> parsePort(std::string_view text) {
    if (text.empty() || text.size() > 5 ||
        text.find_first_not_of("0123456789") != std::string_view::npos) {
        return std::nullopt;
    }
    auto n = std::stoul(std::string(text));
    if (n < 1 || n > 65535) {
        return std::nullopt;
    }
    return static_cast<uint16_t>(n);
}

void dockerConfigInHome(DaemonConfig& c, const Env& env) {
    if (auto home = env.find("HOME"); home != env.end() && !home->second.empty()) {
        c.dockerConfig = home->second + "/.docker/config.json";
    }
}

std::vector<EnvVar> makeEnvVars() {
    using C = DaemonConfig;
    using Q = QueueSettings;
    using B = BuilderSettings;
    using T = TriggerSettings;
    using K = ClusterSettings;
    constexpr uint64_t kMaxBody = 1ull << 34;
    return {
        // gateway
        {"FAASD_GATEWAY_ADDRESS", "0.0.0.0", text<&C::gatewayAddress>(),
         "address the gateway binds"},
        {"FAASD_GATEWAY_PORT", "8080", number<&C::gatewayPort>(1, 65535), "gateway port"},
        {"FAASD_BASIC_AUTH", "true", flag<&C::basicAuth>(), "basic auth on /system/* and /ui/"},
        {"FAASD_MAX_BODY_BYTES", "33554432", number<&C::maxBodyBytes>(1024, kMaxBody),
         "larger request bodies get 413"},
        {"FAASD_UPSTREAM_TIMEOUT", "60s", duration<&C::upstreamTimeout>(milliseconds(1000)),
         "how long a sync invocation may wait for each read or write of the function's answer"},
        {"FAASD_METRICS_HISTORY", "true", flag<&C::metricsHistory>(),
         "keep each function's last 24 h of metrics in memory for the UI's charts"},
        {"FAASD_TLS_CERT", "", text<&C::tlsCert>(),
         "PEM certificate (then any intermediates): the gateway speaks HTTPS; none: plain HTTP"},
        {"FAASD_TLS_KEY", "", text<&C::tlsKey>(), "PEM private key of FAASD_TLS_CERT"},
        {"FAASD_TLS_PLAIN_HTTP", "redirect",
         checked<&C::tlsPlainHttp>(validPlainHttp, "want redirect or refuse"),
         "a plain-HTTP request on the HTTPS port: redirect (308 to https://) or refuse (400)"},
        {"FAASD_TLS_WATCH", "2s", duration<&C::tlsWatch>(),
         "how often the TLS files are checked for a change; 0: only on SIGHUP"},
        // state
        {"FAASD_STATE_DIR", "/var/lib/faasd", text<&C::stateDir>(),
         "credentials, the queue, own containerd"},
        {"FAASD_PROVIDER_STATE_DIR", "/var/lib/faasd-provider", text<&C::providerStateDir>(),
         "secrets, replica logs, per-function files, CNI result cache"},
        // containerd
        {"FAASD_CONTAINERD_SOCKET", "/run/containerd/containerd.sock", text<&C::containerdSocket>(),
         "containerd's socket"},
        {"FAASD_CONTAINERD_BIN", "containerd", text<&C::containerdBinary>(),
         "binary started when none answers"},
        {"FAASD_START_CONTAINERD", "true", flag<&C::startContainerd>(),
         "whether to start one at all"},
        {"FAASD_SNAPSHOTTER", "overlayfs", text<&C::snapshotter>(), "containerd snapshotter"},
        {"FAASD_CGROUP_PARENT", "/faasd",
         checked<&C::cgroupParent>(validCgroupParent, "want an absolute cgroup path like /faasd"),
         "the cgroup replicas go under, as <parent>/<namespace>/<replica id>"},
        // network
        {"FAASD_CNI_BRIDGE", "openfaas0",
         checked<&C::cniBridge>(validBridge, "interface names are at most 15 characters"),
         "bridge of the function network"},
        {"FAASD_CNI_SUBNET", "10.62.0.0/16",
         checked<&C::cniSubnet>(validCidr, "want an IPv4 CIDR like 10.62.0.0/16"),
         "its IPv4 subnet"},
        {"FAASD_CNI_CONF_DIR", "/etc/cni/net.d", text<&C::cniConfDir>(),
         "where the conflist is written if absent"},
        {"CNI_PATH", "/usr/lib/cni:/opt/cni/bin", list<&C::cniPluginDirs>(':'),
         "CNI plugin directories"},
        {"FAASD_CNI_IPAM_DIR", "/var/run/cni", text<&C::cniIpamDir>(), "host-local IPAM leases"},
        {"FAASD_NETNS_DIR", "/var/run/netns", text<&C::netnsDir>(), "replicas' network namespaces"},
        {"FAASD_FUNCTION_EGRESS_ALLOW", "", functionEgressAllow,
         "comma-separated addresses or CIDRs functions may reach although refused by default "
         "(the metadata address 169.254.169.254); none: all such refused"},
        {"FAASD_FUNCTION_USERNS", "",
         checked<&C::functionUserns>(validIdRange,
                                     "want START:COUNT (START at least 1, COUNT at least 65536)"),
         "START:COUNT: each function in a user namespace of its own, its ids 0.. the host's "
         "START..; none: functions use the host's ids"},
        {"FAASD_NAMESERVERS", "", list<&C::nameservers>(','),
         "comma-separated nameservers for functions' resolv.conf; none: the host's"},
        // images
        {"FAASD_PULL_POLICY", "IfNotPresent",
         checked<&C::pullPolicy>(validPullPolicy, "want Always, IfNotPresent or Never"),
         "Always, IfNotPresent (a local image when present), Never (local images only)"},
        {"FAASD_INSECURE_REGISTRIES", "", list<&C::insecureRegistries>(','),
         "comma-separated registries spoken to over plain HTTP"},
        {"FAASD_REGISTRY_MIRRORS", "", registryMirrors,
         "docker.io=m1:5000|m2:5000,ghcr.io=m3: mirrors tried before the registry"},
        {"FAASD_DOCKER_CONFIG", "$HOME/.docker/config.json", text<&C::dockerConfig>(),
         "registry credentials (auths)", dockerConfigInHome},
        // functions
        {"FAASD_READINESS_TIMEOUT", "30s", duration<&C::readinessTimeout>(),
         "how long deploy and scale wait for new replicas to answer"},
        {"FAASD_MAX_REPLICAS", "20", number<&C::maxReplicas>(1, 1000),
         "the most replicas a function may have"},
        {"FAASD_STOP_FUNCTIONS_ON_EXIT", "false", flag<&C::stopFunctionsOnExit>(),
         "remove all functions when stopping"},
        // scaler
        {"FAASD_SCALER", "true", flag<&C::scalerEnabled>(),
         "run the scaler: wake, park, autoscale, take /system/alert"},
        {"FAASD_SCALER_PARK", "true", flag<&C::scalerPark>(),
         "park idle functions (tasks frozen); false: remove their containers"},
        {"FAASD_SCALER_TICK", "1s", duration<&C::scalerTick>(milliseconds(10)),
         "how often the scaler samples and decides"},
        {"FAASD_SCALER_ZERO_DURATION", "15m", duration<&C::scaleZeroDuration>(milliseconds(1)),
         "idle time before a com.openfaas.scale.zero=true function goes to zero"},
        {"FAASD_SCALER_SCALE_DOWN_WINDOW", "30s", duration<&C::scaleDownWindow>(),
         "lower load must last this long before replicas go down"},
        {"FAASD_SCALER_EVICT_AFTER", "1h", duration<&C::scalerEvictAfter>(),
         "a parked function's containers are removed after this long (0: never)"},
        {"FAASD_SCALER_MIN_FREE_MEMORY", "10", number<&C::scalerMinFreeMemoryPercent>(0, 99),
         "percent of memory below which parked functions are evicted (0: never)"},
        {"FAASD_LOG_LEVEL", "info", text<&C::logLevel>(), "debug, info, warn, error"},
        // the durable async queue
        {"FAASD_QUEUE_ENABLED", "true", flag<&C::queue, &Q::enabled>(),
         "false: /async-function/ answers 501"},
        {"FAASD_QUEUE_SYNC", "full", queueSync,
         "full: every commit reaches the disk; normal: survives a crash of the daemon"},
        {"FAASD_QUEUE_MAX_ITEMS", "100000", number<&C::queue, &Q::maxItems>(1, 100'000'000),
         "stored requests not yet completed; more is 429"},
        {"FAASD_QUEUE_MAX_BYTES", "1073741824",
         number<&C::queue, &Q::maxBytes>(1ull << 20, 1ull << 40), "their stored size"},
        {"FAASD_QUEUE_MAX_BODY_BYTES", "8388608",
         number<&C::queue, &Q::maxBodyBytes>(1024, kMaxBody), "one async request's body"},
        {"FAASD_QUEUE_WORKERS", "32", number<&C::queue, &Q::workers>(1, 4096),
         "requests running at once"},
        {"FAASD_QUEUE_PER_REPLICA", "4", number<&C::queue, &Q::perReplica>(1, 10'000),
         "per ready replica, for functions without max_inflight"},
        {"FAASD_QUEUE_MAX_ATTEMPTS", "5", number<&C::queue, &Q::maxAttempts>(1, 1000),
         "invocations before the dead-letter list"},
        {"FAASD_QUEUE_RETRY_DELAY", "1s", duration<&C::queue, &Q::retryDelay>(),
         "first retry delay, doubled after each attempt"},
        {"FAASD_QUEUE_MAX_RETRY_DELAY", "5m", duration<&C::queue, &Q::maxRetryDelay>(),
         "the longest retry delay"},
        {"FAASD_QUEUE_CALLBACK_ATTEMPTS", "5", number<&C::queue, &Q::callbackAttempts>(1, 1000),
         "deliveries of a callback before it is recorded failed"},
        {"FAASD_QUEUE_INVOKE_TIMEOUT", "10m", duration<&C::queue, &Q::invokeTimeout>(),
         "how long a worker waits for the function's answer"},
        {"FAASD_QUEUE_SHUTDOWN_TIMEOUT", "30s", duration<&C::queue, &Q::shutdownTimeout>(),
         "on SIGTERM, how long running requests may finish"},
        {"FAASD_QUEUE_KEEP_COMPLETED", "1h", duration<&C::queue, &Q::keepCompleted>(),
         "completed requests stay listed this long"},
        {"FAASD_QUEUE_ACCEPT_THREADS", "64", number<&C::queue, &Q::acceptThreads>(1, 4096),
         "accepts waiting for their group commit at once"},
        {"FAASD_CALLBACK_ALLOW", "", callbackAllow,
         "CIDRs, addresses or host names X-Callback-Url may reach although loopback, "
         "link-local or this machine's"},
        // function triggers
        {"FAASD_TRIGGERS", "true", flag<&C::triggers, &T::enabled>(),
         "run cron and MQTT triggers; false: trigger annotations are deployed unread"},
        {"FAASD_TRIGGER_NAMESPACES", "", list<&C::triggers, &T::namespaces>(','),
         "comma-separated namespaces whose functions may have triggers; none: all"},
        {"FAASD_TRIGGER_RESYNC", "5s", duration<&C::triggers, &T::resync>(milliseconds(100)),
         "how often the triggers re-read the functions (changes through the API apply at once)"},
        {"FAASD_MQTT_BROKER", "", text<&C::triggers, &T::mqttBroker>(),
         "mqtt://host:port or mqtts://host:port of the broker for MQTT topics; none: no MQTT"},
        {"FAASD_MQTT_CLIENT_ID", "", text<&C::triggers, &T::mqttClientId>(),
         "the MQTT session's client id; none: faasd-<hostname>"},
        {"FAASD_MQTT_USERNAME", "", text<&C::triggers, &T::mqttUsername>(), "MQTT user name"},
        {"FAASD_MQTT_PASSWORD_FILE", "", text<&C::triggers, &T::mqttPasswordFile>(),
         "file holding the MQTT password"},
        {"FAASD_MQTT_SHARE_GROUP", "faasd", text<&C::triggers, &T::mqttShareGroup>(),
         "shared-subscription group ($share/GROUP/topic); empty: plain subscriptions"},
        {"FAASD_MQTT_CA_FILE", "", text<&C::triggers, &T::mqttCaFile>(),
         "mqtts: the CA certificates to trust; none: the system's"},
        // the function builder API
        {"FAASD_BUILDER", "true", flag<&C::builder, &B::enabled>(), "false: /build answers 404"},
        {"FAASD_BUILDER_MAX_BYTES", "FAASD_MAX_BODY_BYTES", builderMaxBytes,
         "the largest upload and the most it may unpack to (at most FAASD_MAX_BODY_BYTES)",
         builderMaxBytesFollowsBody},
        {"FAASD_BUILDER_CONCURRENCY", "1", number<&C::builder, &B::concurrency>(1, 64),
         "builds at once; more are answered 429"},
        {"FAASD_BUILDAH_ROOT", "", text<&C::builder, &B::buildahRoot>(),
         "buildah's storage root; none: buildah's default"},
        // cluster mode
        {"FAASD_CLUSTER_MEMBERS", "", clusterMembers,
         "name=host,... (host[:CLIENTPORT:PEERPORT], ports 2379 and 2380 by default): the etcd "
         "members of the cluster, one per node, each run by its node's faasd; none: the members "
         "are run by someone else (FAASD_CLUSTER_ETCD)"},
        {"FAASD_ETCD_BIN", "etcd", text<&C::cluster, &K::etcdBinary>(),
         "the etcd binary faasd runs as this node's member (FAASD_CLUSTER_MEMBERS)"},
        {"FAASD_CLUSTER_ETCD", "FAASD_CLUSTER_MEMBERS' client URLs", clusterEtcd,
         "comma-separated http(s)://host:port of the etcd members; none: one VM",
         clusterEtcdFromMembers},
        {"FAASD_CLUSTER_NODE", "", text<&C::cluster, &K::node>(),
         "this node's name in the cluster; none: the host name"},
        {"FAASD_CLUSTER_ADDRESS", "", text<&C::cluster, &K::address>(),
         "where the other nodes reach this one; none: the address toward the first etcd member"},
        {"FAASD_CLUSTER_LEASE_TTL", "5s", duration<&C::cluster, &K::leaseTtl>(milliseconds(2000)),
         "a node that stops renewing its lease this long is gone"},
        {"FAASD_CLUSTER_ETCD_CA", "", text<&C::cluster, &K::etcdCa>(),
         "https members: the CA that signed their certificates"},
        {"FAASD_CLUSTER_ETCD_CERT", "", text<&C::cluster, &K::etcdCert>(),
         "https members: this node's client certificate"},
        {"FAASD_CLUSTER_ETCD_KEY", "", text<&C::cluster, &K::etcdKey>(), "its private key"},
        {"FAASD_CLUSTER_PREFIX", "/faasd/", text<&C::cluster, &K::prefix>(),
         "the etcd key prefix of the cluster's state"},
    };
}

} // namespace

Env processEnv() {
    Env env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string_view::npos) {
            env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
        }
    }
    return env;
}

std::string ClusterMember::clientUrl() const {
    return "http://" + host + ":" + std::to_string(clientPort);
}

std::string ClusterMember::peerUrl() const {
    return "http://" + host + ":" + std::to_string(peerPort);
}

Result<std::vector<ClusterMember>> parseClusterMembers(std::string_view text) {
    std::vector<ClusterMember> members;
    std::set<std::string> names;
    std::set<std::string> endpoints; // host:port, client and peer alike
    for (const auto& entry : split(text, ',')) {
        const auto eq = entry.find('=');
        if (eq == std::string::npos) {
            return fail(Code::InvalidArgument, "\"{}\" is not name=host", entry);
        }
        ClusterMember m;
        m.name = entry.substr(0, eq);
        const auto where = split(entry.substr(eq + 1), ':');
        if (!validMemberName(m.name)) {
            return fail(Code::InvalidArgument,
                        "\"{}\": a name is 1 to 63 of a-z, 0-9, '-' and '.', a letter or "
                        "digit at each end (the node's name)",
                        entry);
        }
        if (where.empty() || !validHost(where[0]) ||
            std::count(entry.begin(), entry.end(), ':') != (where.size() == 3 ? 2 : 0) ||
            (where.size() != 1 && where.size() != 3)) {
            return fail(Code::InvalidArgument,
                        "\"{}\": want name=host or name=host:CLIENTPORT:PEERPORT (host an IPv4 "
                        "address or a host name)",
                        entry);
        }
        m.host = where[0];
        if (where.size() == 3) {
            auto client = parsePort(where[1]);
            auto peer = parsePort(where[2]);
            if (!client || !peer || *client == *peer) {
                return fail(Code::InvalidArgument,
                            "\"{}\": want two different ports from 1 to 65535", entry);
            }
            m.clientPort = *client;
            m.peerPort = *peer;
        }
        if (!names.insert(m.name).second) {
            return fail(Code::InvalidArgument, "member {} is named twice", m.name);
        }
        for (auto port : {m.clientPort, m.peerPort}) {
            if (!endpoints.insert(m.host + ":" + std::to_string(port)).second) {
                return fail(Code::InvalidArgument, "{}:{} is taken by two members", m.host, port);
            }
        }
        members.push_back(std::move(m));
    }
    if (members.empty()) {
        return fail(Code::InvalidArgument, "no members");
    }
    return members;
}

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
    static const std::pair<std::string_view, double> units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    std::string_view number = text;
    double factor = 1000; // plain numbers are seconds
    for (const auto& [suffix, f] : units) {
        if (text.size() > suffix.size() && text.ends_with(suffix)) {
            number = text.substr(0, text.size() - suffix.size());
            factor = f;
            break;
        }
    }
    std::string s(number);
    char* end = nullptr;
    double v = s.empty() ? -1 : std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size() || v < 0) {
        return fail(Code::InvalidArgument, "\"{}\" is not a duration like 10s, 500ms or 2m", text);
    }
    return std::chrono::milliseconds(static_cast<int64_t>(v * factor));
}

const std::vector<EnvVar>& envVars() {
    static const std::vector<EnvVar> vars = makeEnvVars();
    return vars;
}

Result<DaemonConfig> fromEnv(const Env& env) {
    DaemonConfig c;
    for (const auto& var : envVars()) {
        if (auto it = env.find(std::string(var.name)); it != env.end() && !it->second.empty()) {
            TRY(var.apply(c, var.name, it->second));
        } else if (var.derive) {
            var.derive(c, env);
        }
    }
    if (c.tlsCert.empty() != c.tlsKey.empty()) {
        return fail(Code::InvalidArgument, "FAASD_TLS_CERT and FAASD_TLS_KEY go together: set both "
                                           "for HTTPS, or neither");
    }
    return c;
}

} // namespace faasd::config
