#pragma once

// Named network namespaces, made the way `ip netns add` makes them: a
// thread unshares its network namespace and bind-mounts it onto a file in
// the netns dir, so the namespace outlives every process in it and is
// addressed by path. Deleting lazily unmounts and unlinks the file; the
// kernel frees the namespace once nothing else holds it.

#include "common/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::network {

// Creates dir/name (creating dir) as a new network namespace; returns its
// path. Code::AlreadyExists if dir/name exists.
Result<std::string> createNetns(const std::filesystem::path& dir, std::string_view name);

// Unmounts and removes a namespace file. A path that is gone, or a file
// whose mount is gone, is fine: deleting is idempotent.
Result<void> deleteNetns(const std::filesystem::path& path);

// The names of the entries in dir (none when dir does not exist), sorted.
// A file whose mount is gone (a crash between creating and mounting) is
// listed too, so that it can be deleted.
Result<std::vector<std::string>> listNetns(const std::filesystem::path& dir);

// Succeeds when path is a network namespace: Code::NotFound when it does
// not exist, Code::InvalidArgument when it is not a network namespace.
Result<void> checkNetns(const std::filesystem::path& path);

// Whether path is the network namespace this process runs in.
bool isOwnNetns(const std::filesystem::path& path);

// Writes 1 to /proc/sys/net/ipv4/ip_forward (or the given file) unless it
// holds 1 already, so the host routes between replicas and the outside.
Result<void>
enableIpForwarding(const std::filesystem::path& path = "/proc/sys/net/ipv4/ip_forward");

} // namespace faasd::network
