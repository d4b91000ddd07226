#pragma once

// Pushing a local image to a registry over the OCI distribution API:
// blobs the registry lacks are uploaded (monolithic PUT, streamed from
// containerd's content store), then manifests, then the tag.

#include "common/error.hpp"
#include "containerd/client.hpp"
#include "image/pull.hpp"
#include "image/reference.hpp"

#include <string>

namespace faasd::image {

// Pushes the image named localName (an image record in client's
// namespace) as target. An index is pushed with those of its manifests the
// store holds. Credentials come from options.dockerConfig.
Result<void> pushImage(const containerd::Client& client, const std::string& localName,
                       const Reference& target, const RegistryOptions& options);

} // namespace faasd::image
