#pragma once

// What the cluster keeps in etcd, under one prefix (default "/faasd/"):
//
//   nodes/<node>                 NodeRecord, under the node's lease
//   subnets/<cidr>               the node that owns a function subnet (lease)
//   functions/<ns>/<name>        FunctionRecord: the desired state
//   placements/<ns>/<name>       Placement: replicas per node (the scheduler)
//   endpoints/<ns>/<name>/<node> NodeFunction: what a node runs (its lease)
//   secrets/<ns>/<name>          the secret's bytes
//   namespaces/<ns>              NamespaceRequest JSON
//   election/scheduler           etcd's election of the scheduling node
//   credentials                  the gateways' basic auth and the builder's
//                                payload secret, the same on every node
//
// Values are JSON. Keys are made and read only here.

#include "api/function_ref.hpp"
#include "api/types.hpp"
#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::cluster {

struct NodeRecord {
    std::string name;
    std::string address;         // where the other nodes route this node's subnet
    uint16_t gatewayPort = 8080; // its gateway, on address
    std::string subnet;          // its functions' IPv4 subnet (CIDR)
    uint64_t memoryBytes = 0;    // the host's
    uint64_t freeMemoryBytes = 0;
    uint32_t cpus = 0;
    int64_t lease = 0; // filled from the key's lease when read
    std::chrono::system_clock::time_point startedAt{};
};

struct FunctionRecord {
    api::FunctionDeployment deployment;
    uint64_t replicas = 1; // desired, all nodes together
    std::chrono::system_clock::time_point createdAt{};
    // Filled when read from etcd:
    int64_t revision = 0;       // the key's mod revision
    int64_t createRevision = 0; // the deploy's
    // The deployment's identity, "<create revision>-<hash of the
    // deployment>": it changes on update and on a new deploy of the same
    // name, not when only the replica count does.
    std::string generation;
};

// Replicas per node, for one function.
using Placement = std::map<std::string, uint64_t>;

// One ready replica on a node.
struct ClusterEndpoint {
    std::string instance;
    std::string ip;
    uint16_t port = 8080;
};

// What a node runs of one function: the generation (function record
// revision) it applied, its ready replicas, and the last error applying it.
struct NodeFunction {
    std::string generation;
    uint64_t replicas = 0; // placed on this node and started (ready or not)
    std::vector<ClusterEndpoint> ready;
    std::string error;
};

class Keys {
public:
    explicit Keys(std::string prefix = "/faasd/");

    const std::string& prefix() const { return prefix_; }
    std::string nodes() const;
    std::string node(std::string_view name) const;
    std::string subnet(std::string_view cidr) const;
    std::string functions() const;
    std::string function(const api::FunctionRef& fn) const;
    std::string placements() const;
    std::string placement(const api::FunctionRef& fn) const;
    std::string endpoints() const;
    std::string endpoints(const api::FunctionRef& fn) const; // every node's, with trailing '/'
    std::string endpoint(const api::FunctionRef& fn, std::string_view node) const;
    std::string secrets() const;
    std::string secret(std::string_view ns, std::string_view name) const;
    std::string namespaces() const;
    std::string ns(std::string_view name) const;
    std::string election() const;
    std::string credentials() const;

    // The parts after a kind's prefix, or nullopt when key is not of it.
    std::optional<std::string> nodeOf(std::string_view key) const;
    std::optional<api::FunctionRef> functionOf(std::string_view key) const;
    std::optional<api::FunctionRef> placementOf(std::string_view key) const;
    // function and node of an endpoints key.
    std::optional<std::pair<api::FunctionRef, std::string>> endpointOf(std::string_view key) const;
    std::optional<std::pair<std::string, std::string>>
    secretOf(std::string_view key) const; // ns, name
    std::optional<std::string> namespaceOf(std::string_view key) const;

private:
    std::string prefix_;
};

std::string toJson(const NodeRecord& node);
Result<NodeRecord> parseNodeRecord(std::string_view json);
std::string toJson(const FunctionRecord& fn);
Result<FunctionRecord> parseFunctionRecord(std::string_view json);
std::string toJson(const Placement& placement);
Result<Placement> parsePlacement(std::string_view json);
std::string toJson(const NodeFunction& nf);
Result<NodeFunction> parseNodeFunction(std::string_view json);

// FunctionRecord::generation for a record read at createRevision.
std::string generationOf(const api::FunctionDeployment& d, int64_t createRevision);

// What every node's gateway admits (the first node's, adopted by the rest).
struct SharedCredentials {
    std::string user;
    std::string password;
    std::string payloadSecret;
    bool operator==(const SharedCredentials&) const = default;
};
std::string toJson(const SharedCredentials& c);
Result<SharedCredentials> parseSharedCredentials(std::string_view json);

// The total of a placement.
uint64_t placed(const Placement& placement);

} // namespace faasd::cluster
