#pragma once

// Images in containerd's store: writing an image made here (by the builder
// or an archive import) into it, resolving an image to its manifest and
// config, and unpacking its layers into snapshots.

#include "common/error.hpp"
#include "containerd/client.hpp"
#include "image/layer.hpp"
#include "image/oci.hpp"

#include <string>
#include <vector>

namespace faasd::image {

// containerd's garbage-collection reference labels.
inline constexpr std::string_view kGcRefContentConfig = "containerd.io/gc.ref.content.config";
inline constexpr std::string_view kGcRefContentLayerPrefix = "containerd.io/gc.ref.content.l.";
inline constexpr std::string_view kGcRefSnapshotPrefix = "containerd.io/gc.ref.snapshot.";

// Writes layers, config and manifest into the content store (under a lease
// until the image record holds them) and creates or updates the image
// named name. Returns the image record.
Result<containerd::Image> storeImage(const containerd::Client& client, const std::string& name,
                                     ImageConfig config, const std::vector<Layer>& layers);

struct ResolvedImage {
    containerd::Image record;
    Descriptor manifestDescriptor;
    Manifest manifest;
    ImageConfig config;
};

// Reads an image's manifest (choosing the host platform from an index) and
// config from the content store. Code::NotFound when the image is unknown.
Result<ResolvedImage> resolveImage(const containerd::Client& client, const std::string& name);

// Unpacks the image's layers into committed snapshots named by chain ID
// (skipping those already there), under a lease, and marks the config so
// the snapshots live as long as the image. Returns the top chain ID: the
// parent for a container's writable snapshot.
Result<std::string> unpackImage(const containerd::Client& client, const ResolvedImage& image,
                                const std::string& snapshotter = "overlayfs");

} // namespace faasd::image
