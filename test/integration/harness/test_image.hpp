#pragma once

// Images and runtime specs for integration tests, built here from
// busybox-static: nothing is pulled from a registry.

#include "common/error.hpp"
#include "containerd/client.hpp"
#include "image/layer.hpp"

#include <string>
#include <vector>

namespace faasd::testing {

inline constexpr const char* kBusybox = "/bin/busybox";

// A layer with /bin/busybox and links for the applets tests use.
Result<image::Layer> busyboxLayer();

// Stores an image named name whose command is cmd.
Result<containerd::Image> storeBusyboxImage(const containerd::Client& client,
                                            const std::string& name,
                                            const std::vector<std::string>& cmd);

// A minimal OCI runtime spec running args as root in its own namespaces.
std::string minimalSpec(const std::string& id, const std::vector<std::string>& args);

} // namespace faasd::testing
