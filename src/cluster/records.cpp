#include "cluster/records.hpp"

#include "api/json.hpp"

#include <nlohmann/json.hpp>

namespace faasd::cluster {

using nlohmann::json;

namespace {

int64_t toUnixMs(std::chrono::system_clock::time_point tp) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(tp.time_since_epoch()).count();
}

std::chrono::system_clock::time_point fromUnixMs(int64_t ms) {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// Parses what another node wrote; a record we cannot read is named.
Result<json> parseRecord(std::string_view text, std::string_view what) {
    json j = json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return fail(Code::InvalidArgument, "cluster: the {} record is not a JSON object", what);
    }
    return j;
}

template <typename T>
Result<T> field(const json& j, const char* key, std::string_view what, T fallback = T{}) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return fallback;
    }
    try {
        return it->get<T>();
    } catch (const json::exception&) {
        return fail(Code::InvalidArgument, "cluster: the {} record's \"{}\" has the wrong type",
                    what, key);
    }
}

// "a/b/c" after prefix split on '/', exactly n parts, none empty.
std::optional<std::vector<std::string>> partsAfter(std::string_view key, std::string_view prefix,
                                                   size_t n) {
    if (!key.starts_with(prefix)) {
        return std::nullopt;
    }
    key.remove_prefix(prefix.size());
    std::vector<std::string> parts;
    while (true) {
        auto slash = key.find('/');
        auto part = key.substr(0, slash);
        if (part.empty()) {
            return std::nullopt;
        }
        parts.emplace_back(part);
        if (slash == std::string_view::npos) {
            break;
        }
        key.remove_prefix(slash + 1);
    }
    if (parts.size() != n) {
        return std::nullopt;
    }
    return parts;
}

} // namespace

Keys::Keys(std::string prefix) : prefix_(std::move(prefix)) {
    if (prefix_.empty() || prefix_.back() != '/') {
        prefix_ += '/';
    }
}

std::string Keys::nodes() const {
    return prefix_ + "nodes/";
}
std::string Keys::node(std::string_view name) const {
    return nodes() + std::string(name);
}
std::string Keys::subnet(std::string_view cidr) const {
    std::string key = prefix_ + "subnets/";
    for (char c : cidr) {
        key += c == '/' ? '_' : c;
    }
    return key;
}
std::string Keys::functions() const {
    return prefix_ + "functions/";
}
std::string Keys::function(const api::FunctionRef& fn) const {
    return fmt::format("{}{}/{}", functions(), fn.ns, fn.name);
}
std::string Keys::placements() const {
    return prefix_ + "placements/";
}
std::string Keys::placement(const api::FunctionRef& fn) const {
    return fmt::format("{}{}/{}", placements(), fn.ns, fn.name);
}
std::string Keys::endpoints() const {
    return prefix_ + "endpoints/";
}
std::string Keys::endpoints(const api::FunctionRef& fn) const {
    return fmt::format("{}{}/{}/", endpoints(), fn.ns, fn.name);
}
std::string Keys::endpoint(const api::FunctionRef& fn, std::string_view node) const {
    return endpoints(fn) + std::string(node);
}
std::string Keys::secrets() const {
    return prefix_ + "secrets/";
}
std::string Keys::secret(std::string_view ns, std::string_view name) const {
    return fmt::format("{}{}/{}", secrets(), ns, name);
}
std::string Keys::namespaces() const {
    return prefix_ + "namespaces/";
}
std::string Keys::ns(std::string_view name) const {
    return namespaces() + std::string(name);
}
std::string Keys::election() const {
    return prefix_ + "election/scheduler";
}
std::string Keys::credentials() const {
    return prefix_ + "credentials";
}

std::optional<std::string> Keys::nodeOf(std::string_view key) const {
    auto parts = partsAfter(key, nodes(), 1);
    return parts ? std::optional((*parts)[0]) : std::nullopt;
}

std::optional<api::FunctionRef> Keys::functionOf(std::string_view key) const {
    auto parts = partsAfter(key, functions(), 2);
    return parts ? std::optional(api::FunctionRef{(*parts)[1], (*parts)[0]}) : std::nullopt;
}

std::optional<api::FunctionRef> Keys::placementOf(std::string_view key) const {
    auto parts = partsAfter(key, placements(), 2);
    return parts ? std::optional(api::FunctionRef{(*parts)[1], (*parts)[0]}) : std::nullopt;
}

std::optional<std::pair<api::FunctionRef, std::string>>
Keys::endpointOf(std::string_view key) const {
    auto parts = partsAfter(key, endpoints(), 3);
    if (!parts) {
        return std::nullopt;
    }
    return std::pair(api::FunctionRef{(*parts)[1], (*parts)[0]}, (*parts)[2]);
}

std::optional<std::pair<std::string, std::string>> Keys::secretOf(std::string_view key) const {
    auto parts = partsAfter(key, secrets(), 2);
    return parts ? std::optional(std::pair((*parts)[0], (*parts)[1])) : std::nullopt;
}

std::optional<std::string> Keys::namespaceOf(std::string_view key) const {
    auto parts = partsAfter(key, namespaces(), 1);
    return parts ? std::optional((*parts)[0]) : std::nullopt;
}

std::string toJson(const NodeRecord& node) {
    return json{{"name", node.name},
                {"address", node.address},
                {"gatewayPort", node.gatewayPort},
                {"subnet", node.subnet},
                {"memoryBytes", node.memoryBytes},
                {"freeMemoryBytes", node.freeMemoryBytes},
                {"cpus", node.cpus},
                {"startedAtMs", toUnixMs(node.startedAt)}}
        .dump();
}

Result<NodeRecord> parseNodeRecord(std::string_view text) {
    TRY_ASSIGN(auto j, parseRecord(text, "node"));
    NodeRecord n;
    TRY_ASSIGN(n.name, field<std::string>(j, "name", "node"));
    TRY_ASSIGN(n.address, field<std::string>(j, "address", "node"));
    TRY_ASSIGN(n.gatewayPort, field<uint16_t>(j, "gatewayPort", "node", 8080));
    TRY_ASSIGN(n.subnet, field<std::string>(j, "subnet", "node"));
    TRY_ASSIGN(n.memoryBytes, field<uint64_t>(j, "memoryBytes", "node"));
    TRY_ASSIGN(n.freeMemoryBytes, field<uint64_t>(j, "freeMemoryBytes", "node"));
    TRY_ASSIGN(n.cpus, field<uint32_t>(j, "cpus", "node"));
    TRY_ASSIGN(auto started, field<int64_t>(j, "startedAtMs", "node"));
    n.startedAt = fromUnixMs(started);
    if (n.name.empty() || n.address.empty()) {
        return fail(Code::InvalidArgument, "cluster: a node record without a name or address");
    }
    return n;
}

std::string toJson(const FunctionRecord& fn) {
    return json{{"deployment", json::parse(api::toJson(fn.deployment))},
                {"replicas", fn.replicas},
                {"createdAtMs", toUnixMs(fn.createdAt)}}
        .dump();
}

Result<FunctionRecord> parseFunctionRecord(std::string_view text) {
    TRY_ASSIGN(auto j, parseRecord(text, "function"));
    auto d = j.find("deployment");
    if (d == j.end() || !d->is_object()) {
        return fail(Code::InvalidArgument, "cluster: a function record without its deployment");
    }
    FunctionRecord fn;
    TRY_ASSIGN(fn.deployment, api::parseFunctionDeployment(d->dump()));
    TRY_ASSIGN(fn.replicas, field<uint64_t>(j, "replicas", "function", 1));
    TRY_ASSIGN(auto created, field<int64_t>(j, "createdAtMs", "function"));
    fn.createdAt = fromUnixMs(created);
    return fn;
}

std::string toJson(const Placement& placement) {
    json j = json::object();
    for (const auto& [node, n] : placement) {
        if (n > 0) {
            j[node] = n;
        }
    }
    return j.dump();
}

Result<Placement> parsePlacement(std::string_view text) {
    TRY_ASSIGN(auto j, parseRecord(text, "placement"));
    Placement p;
    for (const auto& [node, n] : j.items()) {
        if (!n.is_number_unsigned()) {
            return fail(Code::InvalidArgument, "cluster: the placement of node {} is not a count",
                        node);
        }
        if (n.get<uint64_t>() > 0) {
            p[node] = n.get<uint64_t>();
        }
    }
    return p;
}

std::string toJson(const NodeFunction& nf) {
    json ready = json::array();
    for (const auto& e : nf.ready) {
        ready.push_back({{"instance", e.instance}, {"ip", e.ip}, {"port", e.port}});
    }
    json j{{"generation", nf.generation}, {"replicas", nf.replicas}, {"ready", ready}};
    if (!nf.error.empty()) {
        j["error"] = nf.error;
    }
    return j.dump();
}

Result<NodeFunction> parseNodeFunction(std::string_view text) {
    TRY_ASSIGN(auto j, parseRecord(text, "endpoints"));
    NodeFunction nf;
    TRY_ASSIGN(nf.generation, field<std::string>(j, "generation", "endpoints"));
    TRY_ASSIGN(nf.replicas, field<uint64_t>(j, "replicas", "endpoints"));
    TRY_ASSIGN(nf.error, field<std::string>(j, "error", "endpoints"));
    auto ready = j.find("ready");
    if (ready != j.end() && ready->is_array()) {
        for (const auto& e : *ready) {
            if (!e.is_object()) {
                return fail(Code::InvalidArgument, "cluster: an endpoint is not an object");
            }
            ClusterEndpoint ep;
            TRY_ASSIGN(ep.instance, field<std::string>(e, "instance", "endpoint"));
            TRY_ASSIGN(ep.ip, field<std::string>(e, "ip", "endpoint"));
            TRY_ASSIGN(ep.port, field<uint16_t>(e, "port", "endpoint", 8080));
            nf.ready.push_back(std::move(ep));
        }
    }
    return nf;
}

std::string generationOf(const api::FunctionDeployment& d, int64_t createRevision) {
    // FNV-1a of the deployment's JSON: stable across nodes and restarts.
    uint64_t hash = 14695981039346656037ULL;
    for (unsigned char c : api::toJson(d)) {
        hash = (hash ^ c) * 1099511628211ULL;
    }
    return fmt::format("{}-{:016x}", createRevision, hash);
}

std::string toJson(const SharedCredentials& c) {
    return json{{"user", c.user}, {"password", c.password}, {"payloadSecret", c.payloadSecret}}
        .dump();
}

Result<SharedCredentials> parseSharedCredentials(std::string_view text) {
    TRY_ASSIGN(auto j, parseRecord(text, "credentials"));
    SharedCredentials c;
    TRY_ASSIGN(c.user, field<std::string>(j, "user", "credentials"));
    TRY_ASSIGN(c.password, field<std::string>(j, "password", "credentials"));
    TRY_ASSIGN(c.payloadSecret, field<std::string>(j, "payloadSecret", "credentials"));
    if (c.user.empty() || c.password.empty()) {
        return fail(Code::InvalidArgument,
                    "cluster: the credentials record has no user or password");
    }
    return c;
}

uint64_t placed(const Placement& placement) {
    uint64_t total = 0;
    for (const auto& [node, n] : placement) {
        total += n;
    }
    return total;
}

} // namespace faasd::cluster
