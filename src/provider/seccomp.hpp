#pragma once

// The seccomp filter every function runs under unless its deployment opts
// out (kSeccompAnnotation: unconfined). An allow-list: a system call not
// named here fails with EPERM before the kernel looks at it, whatever the
// caller's uid or capabilities. What is left out is what reaches the host
// rather than the function's own process tree: kernel modules, mounts,
// the clock, ptrace and reading other processes' memory, kexec, bpf,
// perf_event_open, the kernel keyring, reboot, swap, new namespaces
// (unshare, setns, clone with CLONE_NEW*), io_uring, userfaultfd and
// opening files by handle. Data, not code: the table is in seccomp.cpp,
// and the profile is the OCI spec's linux.seccomp object that runc loads.

#include "common/error.hpp"

#include <map>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::provider {

// The per-function opt-out, read from the deployment's annotations.
inline constexpr std::string_view kSeccompAnnotation = "com.openfaas.security.seccomp";
inline constexpr std::string_view kSeccompDefault = "default";       // the filter below
inline constexpr std::string_view kSeccompUnconfined = "unconfined"; // no filter

// Whether the deployment's annotations ask for the filter (absent or
// "default": true; "unconfined": false); InvalidArgument naming the
// annotation for any other value.
Result<bool> seccompWanted(const std::map<std::string, std::string>& annotations);

// The system calls allowed without conditions, sorted.
const std::vector<std::string_view>& seccompAllowed();

// Calls the filter refuses on purpose, each with what it would reach; the
// documentation's table and the tests read it (none is in seccompAllowed).
struct RefusedCall {
    std::string_view name;
    std::string_view why;
};
const std::vector<RefusedCall>& seccompRefused();

// The linux.seccomp object of an OCI spec: default action ERRNO(EPERM),
// the native architectures, seccompAllowed, clone without namespace flags,
// personality with the few harmless personas, and clone3 answered ENOSYS
// (its flags sit in memory the filter cannot read, and ENOSYS makes libc
// fall back to clone, whose flags it can).
nlohmann::json seccompProfile();

} // namespace faasd::provider
