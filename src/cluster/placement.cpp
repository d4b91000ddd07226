#include "cluster/placement.hpp"

#include "api/validate.hpp"

#include <algorithm>
#include <tuple>

namespace faasd::cluster {

namespace {

uint64_t freeAfter(const NodeLoad& node, uint64_t added, uint64_t perReplica) {
    const uint64_t used = added * perReplica;
    return node.freeMemoryBytes > used ? node.freeMemoryBytes - used : 0;
}

} // namespace

Placement place(const PlacementRequest& request, std::vector<NodeLoad>& nodes) {
    std::map<std::string, uint64_t> count; // of this function, on live nodes
    for (const auto& node : nodes) {
        auto it = request.current.find(node.name);
        count[node.name] = it == request.current.end() ? 0 : it->second;
    }
    uint64_t total = 0;
    for (const auto& [name, n] : count) {
        total += n;
    }
    // What this round changed per node, for the free memory estimate.
    std::map<std::string, int64_t> delta;

    while (total > request.replicas) {
        auto victim =
            std::max_element(nodes.begin(), nodes.end(), [&](const auto& a, const auto& b) {
                // "less" in the order of who keeps its replica.
                return std::tuple(count[a.name], -static_cast<int64_t>(a.freeMemoryBytes),
                                  a.replicas, a.name) <
                       std::tuple(count[b.name], -static_cast<int64_t>(b.freeMemoryBytes),
                                  b.replicas, b.name);
            });
        count[victim->name]--;
        delta[victim->name]--;
        total--;
    }
    while (total < request.replicas && !nodes.empty()) {
        auto best = std::min_element(nodes.begin(), nodes.end(), [&](const auto& a, const auto& b) {
            const auto addedA = static_cast<uint64_t>(std::max<int64_t>(delta[a.name], 0));
            const auto addedB = static_cast<uint64_t>(std::max<int64_t>(delta[b.name], 0));
            return std::tuple(count[a.name],
                              -static_cast<int64_t>(freeAfter(a, addedA, request.memoryPerReplica)),
                              a.replicas + addedA, a.name) <
                   std::tuple(count[b.name],
                              -static_cast<int64_t>(freeAfter(b, addedB, request.memoryPerReplica)),
                              b.replicas + addedB, b.name);
        });
        count[best->name]++;
        delta[best->name]++;
        total++;
    }

    Placement result;
    for (auto& node : nodes) {
        const uint64_t n = count[node.name];
        if (n > 0) {
            result[node.name] = n;
        }
        node.replicas += n;
        // Replicas already running are in the free memory the node reported.
        const auto added = static_cast<uint64_t>(std::max<int64_t>(delta[node.name], 0));
        node.freeMemoryBytes = freeAfter(node, added, request.memoryPerReplica);
    }
    return result;
}

uint64_t memoryPerReplica(const api::FunctionDeployment& deployment) {
    for (const auto& resources : {deployment.limits, deployment.requests}) {
        if (resources && !resources->memory.empty()) {
            if (auto bytes = api::parseMemory(resources->memory); bytes && *bytes > 0) {
                return static_cast<uint64_t>(*bytes);
            }
        }
    }
    return 0;
}

std::optional<std::set<std::string>> allowedNodes(const api::FunctionDeployment& deployment) {
    auto trim = [](std::string_view v) {
        while (!v.empty() && v.front() == ' ') {
            v.remove_prefix(1);
        }
        while (!v.empty() && v.back() == ' ') {
            v.remove_suffix(1);
        }
        return v;
    };
    std::optional<std::set<std::string>> allowed;
    for (const auto& c : deployment.constraints) {
        std::string_view text(c);
        const auto eq = text.find('=');
        if (eq == std::string_view::npos) {
            continue;
        }
        const auto key = trim(text.substr(0, eq));
        auto value = text.substr(eq + 1);
        if (value.starts_with("=")) {
            value.remove_prefix(1); // "=="
        }
        value = trim(value);
        if ((key == "kubernetes.io/hostname" || key == "node.hostname" || key == "faasd.node") &&
            !value.empty()) {
            if (!allowed) {
                allowed.emplace();
            }
            allowed->emplace(value);
        }
    }
    return allowed;
}

} // namespace faasd::cluster
