#include "config/daemon_config.hpp"

#include <algorithm>
#include <cstdlib>

extern char** environ;

namespace faasd::config {
namespace {

std::vector<std::string> split(std::string_view text, char sep) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos <= text.size()) {
        auto next = text.find(sep, pos);
        auto part = text.substr(pos, next == std::string_view::npos ? std::string_view::npos
                                                                     : next - pos);
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

Result<bool> parseBool(const std::string& var, const std::string& value) {
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

Result<uint64_t> parseUnsigned(const std::string& var, const std::string& value, uint64_t min,
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

Result<void> queueFromEnv(const Env& env, QueueSettings& q) {
    auto get = [&](const char* key) -> const std::string* {
        auto it = env.find(key);
        return it == env.end() || it->second.empty() ? nullptr : &it->second;
    };
    auto duration = [&](const char* key, std::chrono::milliseconds& out) -> Result<void> {
        if (auto v = get(key)) {
            auto d = parseDuration(*v);
            if (!d) {
                return fail(d.error().context(key));
            }
            out = *d;
        }
        return {};
    };
    auto number = [&](const char* key, uint64_t& out, uint64_t min, uint64_t max) -> Result<void> {
        if (auto v = get(key)) {
            TRY_ASSIGN(out, parseUnsigned(key, *v, min, max));
        }
        return {};
    };
    if (auto v = get("FAASD_QUEUE_ENABLED")) {
        TRY_ASSIGN(q.enabled, parseBool("FAASD_QUEUE_ENABLED", *v));
    }
    if (auto v = get("FAASD_QUEUE_SYNC")) {
        if (*v != "full" && *v != "normal") {
            return fail(Code::InvalidArgument, "FAASD_QUEUE_SYNC=\"{}\": want full or normal", *v);
        }
        q.fullSync = *v == "full";
    }
    TRY(number("FAASD_QUEUE_MAX_ITEMS", q.maxItems, 1, 100'000'000));
    TRY(number("FAASD_QUEUE_MAX_BYTES", q.maxBytes, 1ull << 20, 1ull << 40));
    TRY(number("FAASD_QUEUE_MAX_BODY_BYTES", q.maxBodyBytes, 1024, 1ull << 34));
    TRY(number("FAASD_QUEUE_WORKERS", q.workers, 1, 4096));
    TRY(number("FAASD_QUEUE_PER_REPLICA", q.perReplica, 1, 10'000));
    TRY(number("FAASD_QUEUE_MAX_ATTEMPTS", q.maxAttempts, 1, 1000));
    TRY(duration("FAASD_QUEUE_RETRY_DELAY", q.retryDelay));
    TRY(duration("FAASD_QUEUE_MAX_RETRY_DELAY", q.maxRetryDelay));
    TRY(number("FAASD_QUEUE_CALLBACK_ATTEMPTS", q.callbackAttempts, 1, 1000));
    TRY(duration("FAASD_QUEUE_INVOKE_TIMEOUT", q.invokeTimeout));
    TRY(duration("FAASD_QUEUE_SHUTDOWN_TIMEOUT", q.shutdownTimeout));
    TRY(duration("FAASD_QUEUE_KEEP_COMPLETED", q.keepCompleted));
    TRY(number("FAASD_QUEUE_ACCEPT_THREADS", q.acceptThreads, 1, 4096));
    return {};
}

Result<void> builderFromEnv(const Env& env, uint64_t maxBodyBytes, BuilderSettings& b) {
    auto get = [&](const char* key) -> const std::string* {
        auto it = env.find(key);
        return it == env.end() || it->second.empty() ? nullptr : &it->second;
    };
    if (auto v = get("FAASD_BUILDER")) {
        TRY_ASSIGN(b.enabled, parseBool("FAASD_BUILDER", *v));
    }
    b.maxBytes = maxBodyBytes;
    if (auto v = get("FAASD_BUILDER_MAX_BYTES")) {
        // The gateway refuses larger bodies before the builder sees them.
        TRY_ASSIGN(b.maxBytes, parseUnsigned("FAASD_BUILDER_MAX_BYTES", *v, 1024, maxBodyBytes));
    }
    if (auto v = get("FAASD_BUILDER_CONCURRENCY")) {
        TRY_ASSIGN(b.concurrency, parseUnsigned("FAASD_BUILDER_CONCURRENCY", *v, 1, 64));
    }
    if (auto v = get("FAASD_BUILDAH_ROOT")) {
        b.buildahRoot = *v;
    }
    return {};
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

Result<std::chrono::milliseconds> parseDuration(std::string_view text) {
    static const std::pair<std::string_view, double> units[] = {
        {"ms", 1}, {"s", 1000}, {"m", 60'000}, {"h", 3'600'000}};
    std::string_view number = text;
    double factor = 1000;  // plain numbers are seconds
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

Result<DaemonConfig> fromEnv(const Env& env) {
    DaemonConfig c;
    auto get = [&](const char* key) -> const std::string* {
        auto it = env.find(key);
        return it == env.end() || it->second.empty() ? nullptr : &it->second;
    };
    if (auto v = get("FAASD_GATEWAY_ADDRESS")) {
        c.gatewayAddress = *v;
    }
    if (auto v = get("FAASD_GATEWAY_PORT")) {
        TRY_ASSIGN(auto port, parseUnsigned("FAASD_GATEWAY_PORT", *v, 1, 65535));
        c.gatewayPort = static_cast<uint16_t>(port);
    }
    if (auto v = get("FAASD_BASIC_AUTH")) {
        TRY_ASSIGN(c.basicAuth, parseBool("FAASD_BASIC_AUTH", *v));
    }
    if (auto v = get("FAASD_MAX_BODY_BYTES")) {
        TRY_ASSIGN(c.maxBodyBytes, parseUnsigned("FAASD_MAX_BODY_BYTES", *v, 1024, 1ull << 34));
    }
    if (auto v = get("FAASD_STATE_DIR")) {
        c.stateDir = *v;
    }
    if (auto v = get("FAASD_PROVIDER_STATE_DIR")) {
        c.providerStateDir = *v;
    }
    if (auto v = get("FAASD_CONTAINERD_SOCKET")) {
        c.containerdSocket = *v;
    }
    if (auto v = get("FAASD_CONTAINERD_BIN")) {
        c.containerdBinary = *v;
    }
    if (auto v = get("FAASD_START_CONTAINERD")) {
        TRY_ASSIGN(c.startContainerd, parseBool("FAASD_START_CONTAINERD", *v));
    }
    if (auto v = get("FAASD_SNAPSHOTTER")) {
        c.snapshotter = *v;
    }
    if (auto v = get("FAASD_CNI_BRIDGE")) {
        if (v->size() > 15) {
            return fail(Code::InvalidArgument,
                        "FAASD_CNI_BRIDGE=\"{}\": interface names are at most 15 characters", *v);
        }
        c.cniBridge = *v;
    }
    if (auto v = get("FAASD_CNI_SUBNET")) {
        if (!validCidr(*v)) {
            return fail(Code::InvalidArgument,
                        "FAASD_CNI_SUBNET=\"{}\": want an IPv4 CIDR like 10.62.0.0/16", *v);
        }
        c.cniSubnet = *v;
    }
    if (auto v = get("FAASD_CNI_CONF_DIR")) {
        c.cniConfDir = *v;
    }
    if (auto v = get("CNI_PATH")) {
        c.cniPluginDirs = split(*v, ':');
    }
    if (auto v = get("FAASD_CNI_IPAM_DIR")) {
        c.cniIpamDir = *v;
    }
    if (auto v = get("FAASD_NETNS_DIR")) {
        c.netnsDir = *v;
    }
    if (auto v = get("FAASD_NAMESERVERS")) {
        c.nameservers = split(*v, ',');
    }
    if (auto v = get("FAASD_PULL_POLICY")) {
        std::string p = *v;
        if (p != "Always" && p != "IfNotPresent" && p != "Never") {
            return fail(Code::InvalidArgument,
                        "FAASD_PULL_POLICY=\"{}\": want Always, IfNotPresent or Never", p);
        }
        c.pullPolicy = p;
    }
    if (auto v = get("FAASD_INSECURE_REGISTRIES")) {
        c.insecureRegistries = split(*v, ',');
    }
    if (auto v = get("FAASD_REGISTRY_MIRRORS")) {
        // "docker.io=mirror1:5000|mirror2:5000,ghcr.io=m3"
        for (const auto& entry : split(*v, ',')) {
            auto eq = entry.find('=');
            if (eq == std::string::npos || eq == 0 || eq + 1 == entry.size()) {
                return fail(Code::InvalidArgument,
                            "FAASD_REGISTRY_MIRRORS: \"{}\" is not registry=mirror[|mirror]",
                            entry);
            }
            c.registryMirrors[entry.substr(0, eq)] = split(entry.substr(eq + 1), '|');
        }
    }
    if (auto v = get("FAASD_DOCKER_CONFIG")) {
        c.dockerConfig = *v;
    } else if (auto home = get("HOME")) {
        c.dockerConfig = *home + "/.docker/config.json";
    }
    if (auto v = get("FAASD_READINESS_TIMEOUT")) {
        auto d = parseDuration(*v);
        if (!d) {
            return fail(d.error().context("FAASD_READINESS_TIMEOUT"));
        }
        c.readinessTimeout = *d;
    }
    if (auto v = get("FAASD_MAX_REPLICAS")) {
        TRY_ASSIGN(c.maxReplicas, parseUnsigned("FAASD_MAX_REPLICAS", *v, 1, 1000));
    }
    if (auto v = get("FAASD_STOP_FUNCTIONS_ON_EXIT")) {
        TRY_ASSIGN(c.stopFunctionsOnExit, parseBool("FAASD_STOP_FUNCTIONS_ON_EXIT", *v));
    }
    if (auto v = get("FAASD_SCALER")) {
        TRY_ASSIGN(c.scalerEnabled, parseBool("FAASD_SCALER", *v));
    }
    if (auto v = get("FAASD_SCALER_PARK")) {
        TRY_ASSIGN(c.scalerPark, parseBool("FAASD_SCALER_PARK", *v));
    }
    struct DurationVar {
        const char* name;
        std::chrono::milliseconds* into;
        std::chrono::milliseconds least;
    };
    for (const auto& [name, into, least] : {
             DurationVar{"FAASD_SCALER_TICK", &c.scalerTick, std::chrono::milliseconds(10)},
             DurationVar{"FAASD_SCALER_ZERO_DURATION", &c.scaleZeroDuration,
                         std::chrono::milliseconds(1)},
             DurationVar{"FAASD_SCALER_SCALE_DOWN_WINDOW", &c.scaleDownWindow,
                         std::chrono::milliseconds(0)},
             DurationVar{"FAASD_SCALER_EVICT_AFTER", &c.scalerEvictAfter,
                         std::chrono::milliseconds(0)},
         }) {
        if (auto v = get(name)) {
            auto d = parseDuration(*v);
            if (!d) {
                return fail(d.error().context(name));
            }
            if (*d < least) {
                return fail(Code::InvalidArgument, "{}=\"{}\": want at least {} ms", name, *v,
                            least.count());
            }
            *into = *d;
        }
    }
    if (auto v = get("FAASD_SCALER_MIN_FREE_MEMORY")) {
        TRY_ASSIGN(c.scalerMinFreeMemoryPercent,
                   parseUnsigned("FAASD_SCALER_MIN_FREE_MEMORY", *v, 0, 99));
    }
    if (auto v = get("FAASD_LOG_LEVEL")) {
        c.logLevel = *v;
    }
    TRY(queueFromEnv(env, c.queue));
    TRY(builderFromEnv(env, c.maxBodyBytes, c.builder));
    return c;
}

} // namespace faasd::config
