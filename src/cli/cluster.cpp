// faasd cluster status: GET /system/cluster as two tables, the nodes (lease,
// leader, ready replicas, free memory) and the functions' placement.

#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>
#include <nlohmann/json.hpp>

namespace faasd::cli {

namespace {

struct ClusterFlags {
    GatewayFlags gateway;
    bool json = false;
};

std::string mebibytes(uint64_t bytes) {
    return fmt::format("{} MiB", bytes >> 20);
}

Result<void> printStatus(const std::string& body) {
    using nlohmann::json;
    json s = json::parse(body, nullptr, false);
    if (s.is_discarded() || !s.is_object() || !s.contains("nodes") || !s["nodes"].is_array()) {
        return fail(Code::Internal, "the gateway's cluster status is not what this faasd reads");
    }
    try {
        fmt::print("{:<20} {:<16} {:<18} {:<17} {:>4} {:<6} {:>5} {:>10}\n", "NODE", "ADDRESS",
                   "SUBNET", "LEASE", "TTL", "LEADER", "READY", "FREE MEM");
        for (const auto& n : s["nodes"]) {
            const auto ttl = n.contains("leaseTtlSeconds")
                                 ? fmt::format("{}s", n["leaseTtlSeconds"].get<int64_t>())
                                 : std::string("-");
            fmt::print("{:<20} {:<16} {:<18} {:<17} {:>4} {:<6} {:>5} {:>10}\n",
                       n.at("name").get<std::string>(), n.at("address").get<std::string>(),
                       n.at("subnet").get<std::string>(), n.at("lease").get<std::string>(), ttl,
                       n.at("leader").get<bool>() ? "*" : "", n.at("readyReplicas").get<uint64_t>(),
                       mebibytes(n.at("freeMemoryBytes").get<uint64_t>()));
        }
        const auto& functions = s.at("functions");
        if (functions.empty()) {
            fmt::print("\nNo functions.\n");
            return {};
        }
        fmt::print("\n{:<32} {:>8} {:>6}  {}\n", "FUNCTION", "REPLICAS", "READY", "PLACEMENT");
        for (const auto& f : functions) {
            std::string placement;
            for (const auto& [node, count] : f.at("placement").items()) {
                placement += fmt::format("{}{}={}", placement.empty() ? "" : " ", node,
                                         count.get<uint64_t>());
            }
            fmt::print("{:<32} {:>8} {:>6}  {}\n",
                       f.at("name").get<std::string>() + "." + f.at("namespace").get<std::string>(),
                       f.at("replicas").get<uint64_t>(), f.at("readyReplicas").get<uint64_t>(),
                       placement.empty() ? "-" : placement);
        }
    } catch (const json::exception&) {
        return fail(Code::Internal, "the gateway's cluster status is not what this faasd reads");
    }
    return {};
}

Result<void> clusterStatus(const ClusterFlags& f) {
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    TRY_ASSIGN(auto answer, client.send({.path = "/system/cluster"}));
    if (!answer.ok()) {
        return fail(answerError(answer, "reading the cluster's status", client.url()));
    }
    if (f.json) {
        fmt::print("{}\n", answer.body);
        return {};
    }
    return printStatus(answer.body);
}

} // namespace

void addCluster(Command& app) {
    auto& cmd = app.subcommand("cluster", "Show the nodes of a cluster");
    cmd.requireSubcommand();

    auto flags = std::make_shared<ClusterFlags>();
    auto& s = cmd.subcommand("status", "List nodes, leases, the leader and replicas per node");
    addGatewayFlags(s, flags->gateway);
    s.flag("--json", flags->json, "print the gateway's JSON as it is");
    s.callback([flags] { runVerb([&] { return clusterStatus(*flags); }); });
}

} // namespace faasd::cli
