#pragma once

// Dockerfile builds through buildah (Debian's package): a staged context's
// Dockerfile is built with the build arguments Docker fills in
// (TARGETPLATFORM, BUILDPLATFORM, TARGETOS, TARGETARCH), base images come
// through the registries and mirrors faasd is configured with, and the
// result is written as an OCI archive for containerd to import.

#include "build/context_build.hpp"
#include "common/error.hpp"
#include "image/pull.hpp"

#include <filesystem>
#include <string>
#include <vector>

namespace faasd::build {

// containers-registries.conf(5) v2 text for buildah: each configured mirror
// (plain HTTP on loopback or when listed insecure), and every loopback or
// insecure registry that the Dockerfile's FROM lines name.
std::string registriesConf(const image::RegistryOptions& options,
                           const std::vector<std::string>& fromImages);

// The images a Dockerfile's FROM lines name (build stages and ARG
// references such as ${BASE} left out).
std::vector<std::string> dockerfileBaseImages(std::string_view dockerfile);

// "linux/amd64" for this machine; the platform's OS and architecture parts.
std::string hostPlatformString();

// The buildah command line for a build (global flags, `build`, arguments).
std::vector<std::string> buildahBuildArgv(const ContextBuild& request, const BuildEnvironment& env,
                                          const std::filesystem::path& work,
                                          const std::string& platform);

// Builds request.context's Dockerfile with buildah into an OCI archive at
// archive; scratch files go in work. buildah's output is logged line by
// line; a failure carries its last lines.
Result<void> buildWithBuildah(const ContextBuild& request, const BuildEnvironment& env,
                              const std::filesystem::path& work,
                              const std::filesystem::path& archive, const BuildLog& log);

} // namespace faasd::build
