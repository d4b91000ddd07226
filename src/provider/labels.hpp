#pragma once

// containerd labels are the provider's only store of functions. Each
// function has a record container (id = the function's name, no task)
// whose labels hold the deployment and the desired replica count; each
// replica is a container labelled with its function's name.

#include "api/types.hpp"
#include "common/error.hpp"
#include "containerd/types.hpp"

#include <chrono>
#include <string>

namespace faasd::provider {

using containerd::Labels;

inline constexpr const char* kFunctionLabel = "com.openfaas.function";
inline constexpr const char* kAnnotationPrefix = "com.openfaas.annotations.";
inline constexpr const char* kRoleLabel = "faasd.role"; // "function" | "replica"
inline constexpr const char* kRoleFunction = "function";
inline constexpr const char* kRoleReplica = "replica";
inline constexpr const char* kReplicaLabel = "faasd.replica";       // on replicas: "true"
inline constexpr const char* kDeploymentLabel = "faasd.deployment"; // JSON, chunked
inline constexpr const char* kReplicasLabel = "faasd.replicas";     // desired count
inline constexpr const char* kRestartsLabel = "faasd.restarts";     // on replicas
inline constexpr const char* kNamespaceLabel = "openfaas";          // on namespaces

// containerd refuses a label whose key and value pass 4096 bytes.
inline constexpr size_t kLabelChunk = 3800;

// The user's labels, annotations under kAnnotationPrefix, and ours.
Labels replicaLabels(const api::FunctionDeployment& d);
// replicaLabels plus the deployment (as JSON, split over numbered labels)
// and the desired replica count.
Labels recordLabels(const api::FunctionDeployment& d, uint64_t replicas);

struct FunctionRecord {
    api::FunctionDeployment deployment;
    uint64_t replicas = 0;
};
// Reads a record container's labels back, byte-exact.
Result<FunctionRecord> parseRecord(const Labels& labels);

// The status the gateway answers with: the deployment as the user sent it.
api::FunctionStatus makeStatus(const api::FunctionDeployment& d, uint64_t replicas,
                               uint64_t available, std::chrono::system_clock::time_point created);

// Checks what needs no I/O: the name, namespace name, secret names, limits
// and requests. InvalidArgument naming the field.
Result<void> validateDeployment(const api::FunctionDeployment& d);

} // namespace faasd::provider
