#pragma once

// Where a function's replicas go: a pure function of the live nodes, the
// function's desired count and its current placement, so that it is tested
// without etcd. The scheduler calls it for every function in turn, adding
// each result to the nodes' load before the next.
//
// Rules, in order:
//   - replicas on nodes that are gone are dropped (placed again elsewhere);
//   - a replica stays where it is while the count allows (no moves);
//   - extra replicas go to the node with the fewest of this function, then
//     the most free memory (less what this round already placed there),
//     then the fewest replicas of all functions, then the name;
//   - surplus replicas leave the node with the most of this function, then
//     the least free memory, then the most replicas of all functions.

#include "cluster/records.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace faasd::cluster {

struct NodeLoad {
    std::string name;
    uint64_t freeMemoryBytes = 0;
    uint64_t replicas = 0; // of every function placed so far
};

struct PlacementRequest {
    uint64_t replicas = 0;         // desired
    uint64_t memoryPerReplica = 0; // its memory limit or request; 0: unknown
    Placement current;
};

// The new placement; nodes holds the live nodes and is updated with it
// (their replicas and free memory).
Placement place(const PlacementRequest& request, std::vector<NodeLoad>& nodes);

// A deployment's memory per replica: its limit, else its request, else 0.
uint64_t memoryPerReplica(const api::FunctionDeployment& deployment);

// The nodes a deployment's constraints allow, as OpenFaaS spells a node's
// name in them: "kubernetes.io/hostname=NAME" (faas-netes' node selector),
// "node.hostname == NAME" (Swarm's), or "faasd.node=NAME". Several name
// constraints: any of the names. Other constraints do not restrict the
// placement. nullopt: every node.
std::optional<std::set<std::string>> allowedNodes(const api::FunctionDeployment& deployment);

} // namespace faasd::cluster
