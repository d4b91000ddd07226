#pragma once

// containerd labels are the provider's only store of functions. Each
// function has a record container (id = the function's name, no task)
// whose labels hold the deployment and the desired replica count; each
// replica is a container labelled with its function's name.

#include "api/types.hpp"
#include "common/error.hpp"
#include "containerd/types.hpp"

#include <chrono>
#include <optional>
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
// On records: the fprocess the function's replicas run (runProcess in
// spec.hpp), resolved with the image config when their spec is made, so
// that listing functions answers from memory and never reads an image
// config blob or a replica's spec per call, and a restarted daemon knows
// it even for a function parked or at zero (no replica to read). Records
// written before this label existed have none: recovery then reads it once
// from a replica container's spec, which the container list it makes
// anyway carries (specProcess); with no replica either, the status falls
// back to the deployment's envProcess until a replica is made again.
inline constexpr const char* kProcessLabel = "faasd.fprocess";

// containerd refuses a label whose key and value pass 4096 bytes.
inline constexpr size_t kLabelChunk = 3800;

// The user's labels, annotations under kAnnotationPrefix, and ours.
Labels replicaLabels(const api::FunctionDeployment& d);
// replicaLabels plus the deployment (as JSON, split over numbered labels),
// the desired replica count and the process its replicas run (kProcessLabel;
// left out when unknown, or too long for a label).
Labels recordLabels(const api::FunctionDeployment& d, uint64_t replicas,
                    const std::optional<std::string>& process);

struct FunctionRecord {
    api::FunctionDeployment deployment;
    uint64_t replicas = 0;
    std::optional<std::string> process; // nullopt: the record predates it
};
// Reads a record container's labels back, byte-exact.
Result<FunctionRecord> parseRecord(const Labels& labels);

// The status the gateway answers with: the deployment as the user sent it,
// except envProcess: the process its replicas run (the image's fprocess when
// the deployment names none), or the deployment's when that is not known.
api::FunctionStatus makeStatus(const api::FunctionDeployment& d,
                               const std::optional<std::string>& process, uint64_t replicas,
                               uint64_t available, std::chrono::system_clock::time_point created);

// Checks what needs no I/O: the name, namespace name, secret names, limits
// and requests, the seccomp annotation. InvalidArgument naming the field.
Result<void> validateDeployment(const api::FunctionDeployment& d);

} // namespace faasd::provider
