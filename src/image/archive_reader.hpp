#pragma once

// One pass over an image archive (tar, optionally compressed): blobs named
// by digest (blobs/sha256/<hex>) stream into the content store; other
// layer tars (docker save's <id>/layer.tar) are spooled while hashed and
// stored; small JSON files (index.json, manifest.json, configs) are kept.

#include "common/error.hpp"
#include "containerd/client.hpp"
#include "image/oci.hpp"

#include <filesystem>
#include <map>
#include <string>

namespace faasd::image {

inline constexpr std::string_view kDockerLayerTar = "application/vnd.docker.image.rootfs.diff.tar";
inline constexpr int64_t kMaxArchiveMetadata = 8 << 20;

struct ArchiveContents {
    std::map<std::string, Descriptor> blobs;     // archive path -> stored blob
    std::map<std::string, std::string> metadata; // small JSON files by path
};

// client should be bound to a lease that keeps the blobs until an image
// refers to them; spool is a directory for temporary files.
Result<ArchiveContents> readArchive(const containerd::Client& client,
                                    const std::filesystem::path& path,
                                    const std::filesystem::path& spool);

} // namespace faasd::image
