#pragma once

// Getting an image into containerd's store so a function can run from it:
// the local copy when the pull policy allows, else a pull from its registry
// over the OCI distribution API.

#include "common/error.hpp"
#include "containerd/client.hpp"
#include "image/reference.hpp"
#include "image/store.hpp"

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace faasd::image {

enum class PullPolicy {
    Always,       // pull every deploy (the registry's copy wins)
    IfNotPresent, // the default: use the local image when there is one
    Never,        // only local images; a missing one is an error
};

// "Always", "IfNotPresent", "Never" (case-insensitive).
Result<PullPolicy> parsePullPolicy(std::string_view text);

struct RegistryOptions {
    // Registries spoken to over plain HTTP ("127.0.0.1:5000").
    std::vector<std::string> insecure;
    // Per-registry mirrors tried first: "docker.io" -> {"mirror.local:5000"}.
    std::map<std::string, std::vector<std::string>> mirrors;
    // A docker-style config.json with "auths"; empty: none.
    std::string dockerConfig;
    std::chrono::milliseconds timeout{300'000};
};

// Makes the image available locally and resolves it. The image is stored
// under its normalised name (Reference::str()).
Result<ResolvedImage> ensureImage(const containerd::Client& client, std::string_view reference,
                                  PullPolicy policy, const RegistryOptions& options);

// Pulls an image from its registry into containerd's store (content under a
// lease, then the image record), replacing the local record.
Result<ResolvedImage> pullImage(const containerd::Client& client, const Reference& reference,
                                const RegistryOptions& options);

} // namespace faasd::image
