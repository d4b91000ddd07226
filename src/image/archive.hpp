#pragma once

// Image archives: importing an OCI image layout tar (oci-layout, index.json,
// blobs/sha256/...) or a `docker save` tar (manifest.json, a config and
// uncompressed layer tars) into containerd, and exporting an image as an
// OCI image layout tar. Blobs are streamed: memory stays bounded whatever
// the layer sizes.

#include "common/error.hpp"
#include "containerd/client.hpp"

#include <filesystem>
#include <string>

namespace faasd::image {

// Imports the first image of the archive at path (tar, optionally
// compressed) and names it name; an empty name takes the archive's own
// (the io.containerd.image.name or org.opencontainers.image.ref.name
// annotation, or docker's RepoTags), normalised. Returns the image record.
Result<containerd::Image> importArchive(const containerd::Client& client,
                                        const std::filesystem::path& path, const std::string& name);

// Writes the image named name as an OCI image layout tar at path (replaced
// atomically). An index is written with those of its manifests the store
// holds.
Result<void> exportArchive(const containerd::Client& client, const std::string& name,
                           const std::filesystem::path& path);

// The name of the annotations export writes on index.json's entry.
inline constexpr std::string_view kAnnotationImageName = "io.containerd.image.name";
inline constexpr std::string_view kAnnotationRefName = "org.opencontainers.image.ref.name";

} // namespace faasd::image
