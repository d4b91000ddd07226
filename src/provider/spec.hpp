#pragma once

// The OCI runtime spec of a replica, generated here as JSON (the shim runs
// it with runc): process from the image config and the deployment, the
// mounts every function gets, namespaces, cgroup limits, capabilities.
// Pure functions of their input, so they are unit-tested without root.

#include "api/types.hpp"
#include "common/error.hpp"
#include "image/oci.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::provider {

inline constexpr const char* kSecretsMountPath = "/var/openfaas/secrets";
inline constexpr int64_t kCpuPeriod = 100'000; // microseconds

// The capabilities a function keeps (containerd's default set without
// CAP_MKNOD, CAP_AUDIT_WRITE, CAP_NET_RAW, CAP_SETFCAP, CAP_SETPCAP and
// CAP_SYS_CHROOT): enough to bind low ports, change users and own files;
// nothing that reaches the host. Without CAP_NET_RAW a function cannot
// write raw frames past its network namespace's routes (the blocked
// destinations of network::NetworkConfig), nor spoof its address.
const std::vector<std::string>& defaultCapabilities();

// What runc hides in a function's /proc and /sys (a bind of /dev/null or
// an empty read-only tmpfs over each), and what it remounts read-only: the
// host's hardware, kernel memory, keys, timers and kernel settings.
const std::vector<std::string>& maskedPaths();
const std::vector<std::string>& readonlyPaths();

struct User {
    uint32_t uid = 0;
    uint32_t gid = 0;
    bool operator==(const User&) const = default;
};

// Resolves an image's "User" the way Docker does: "", "name", "uid",
// "name:group", "uid:gid" (and mixes). Names are looked up in the image's
// /etc/passwd and /etc/group text (nullopt when the image has none); a
// numeric uid without a group takes its passwd entry's gid, else 0.
Result<User> resolveUser(std::string_view user, const std::optional<std::string>& passwd,
                         const std::optional<std::string>& group);

// Whether resolving user needs the image's /etc/passwd or /etc/group.
bool userNeedsLookup(std::string_view user);

// Image Env, then fprocess=<envProcess> (when set), then the user's envVars:
// a later value of a variable replaces an earlier one in place. PATH gets a
// default when nothing sets it.
std::vector<std::string> mergeEnv(const std::vector<std::string>& imageEnv,
                                  const std::string& envProcess, const api::StringMap& envVars);

// The value of fprocess in a list of NAME=value entries ("" when none
// sets it; the last one wins).
std::string fprocessOf(const std::vector<std::string>& env);

// The fprocess a deployment's replicas run: the one in mergeEnv's result,
// so the deployment's envProcess when set, else the image's Env (and the
// user's envVars when they set fprocess themselves, as in the replicas).
std::string runProcess(const image::ImageConfig& image, const api::FunctionDeployment& d);

// The fprocess in an OCI spec's process.env, as generateSpec wrote it;
// nullopt when the text is not JSON or has no process.env (a function
// record's placeholder spec).
std::optional<std::string> specProcess(std::string_view spec);

// cgroup values from limits and requests.
struct CgroupLimits {
    std::optional<int64_t> memoryBytes;       // limits.memory
    std::optional<int64_t> memoryReservation; // requests.memory
    std::optional<int64_t> cpuQuota;          // limits.cpu, per kCpuPeriod
    std::optional<uint64_t> cpuShares;        // requests.cpu (1024 per core)
};
Result<CgroupLimits> cgroupLimits(const std::optional<api::Resources>& limits,
                                  const std::optional<api::Resources>& requests);

// Host ids hostStart.. that a user namespace's 0..count-1 are (userns.hpp).
struct IdRange {
    uint32_t hostStart = 0;
    uint32_t count = 0;
    bool operator==(const IdRange&) const = default;
};

struct SpecInput {
    std::string id;       // container id
    std::string hostname; // the function's name
    const image::ImageConfig* image = nullptr;
    const api::FunctionDeployment* deployment = nullptr;
    User user;
    std::string netnsPath;
    std::string cgroupsPath;
    std::string resolvConfPath; // host file bind-mounted at /etc/resolv.conf
    std::string hostsPath;      // host file bind-mounted at /etc/hosts
    std::string secretsDir;     // host dir bind-mounted read-only; empty: none
    int64_t pidsLimit = 0;      // 0: none
    // A user namespace of its own mapping 0..count-1 to these host ids;
    // nullopt: the host's ids.
    std::optional<IdRange> userns;
};

// The spec as JSON, with the seccomp filter of seccomp.hpp unless the
// deployment's com.openfaas.security.seccomp annotation is "unconfined".
// InvalidArgument when the image gives nothing to run, a limit does not
// parse or the annotation has another value.
Result<std::string> generateSpec(const SpecInput& input);

} // namespace faasd::provider
