#pragma once

// The user-namespaced mode (FAASD_FUNCTION_USERNS): every function runs in
// a user namespace of its own whose ids 0..count-1 are the host's
// hostStart..hostStart+count-1, so a function's root is an unprivileged
// uid on the host: a process that escapes its container owns nothing
// there. The image's files must be owned by the mapped ids, so each image
// gets a copy of its snapshot with every owner shifted by hostStart, made
// once per image and range and shared by all its replicas.

#include "common/error.hpp"
#include "containerd/client.hpp"
#include "provider/spec.hpp"

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace faasd::provider {

// "START:COUNT": START at least 1 (0 would be the host's root), COUNT at
// least 65536 (the ids images use), the end within 32 bits.
Result<IdRange> parseIdRange(std::string_view text);

// The name of parent's shifted copy.
std::string remappedName(const std::string& parent, IdRange range);

// Returns the committed snapshot holding parent's files with their owners
// shifted by range.hostStart, making it when it does not exist: prepared
// from parent, mounted under scratch, every owner shifted (modes kept),
// unmounted, committed. Call it with a client that holds a lease.
Result<std::string> remappedSnapshot(const containerd::SnapshotsApi& snapshots,
                                     const std::string& parent, IdRange range,
                                     const std::filesystem::path& scratch);

// Shifts the owner of root and of everything under it (not following
// symlinks) by offset; set-id bits, which a chown clears, are put back.
Result<void> shiftOwners(const std::filesystem::path& root, uint32_t offset);

} // namespace faasd::provider
