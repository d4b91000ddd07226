#pragma once

// Building a staged build context — faas-cli's `build/<fn>/` shape: the
// template's files, the handler in its handler folder, a Dockerfile and the
// template.yml — into an image in containerd's store:
//
//   - a host build when the context's template has a faasd recipe that is
//     trusted (see ContextBuild::trustContextRecipe), packed here;
//   - else its Dockerfile, built by buildah and imported.
//
// `faasd build` stages the context itself; the function builder API gets it
// from a tar. Both end here, so both give the same image.

#include "common/error.hpp"
#include "image/pull.hpp"

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace faasd::build {

// What every build uses, from the daemon's or the CLI's configuration.
struct BuildEnvironment {
    // Trusted templates: a context whose template.yml is not trusted takes
    // its host recipe from the template of the same language here.
    std::filesystem::path templatesDir;
    std::filesystem::path watchdog;                 // a static fwatchdog (findWatchdog())
    std::filesystem::path busybox = "/bin/busybox"; // from busybox-static
    std::string containerdSocket;                   // empty: do not store (archive only)
    image::RegistryOptions registry;                // mirrors, credentials, insecure
    std::filesystem::path buildahRoot;              // empty: buildah's default storage
    std::chrono::milliseconds timeout{600'000};     // per build command
};

struct ContextBuild {
    std::string name;              // the function's name (logs, labels)
    std::filesystem::path context; // the staged folder
    std::string image;             // the image's name, as the user wrote it
    std::map<std::string, std::string> buildArgs;
    std::vector<std::string> platforms; // empty: the host's
    std::string ns = "openfaas-fn";     // containerd namespace the image goes into
    bool push = false;                  // also push when the name has a registry
    std::filesystem::path archive;      // also write an OCI archive here; empty: none
    // Run the context's own template.yml recipe on the host. Off for the
    // builder API: the recipe then comes from BuildEnvironment's templates,
    // and build args that change what its commands run (LD_*, PATH,
    // GOFLAGS, NODE_OPTIONS, …) are refused.
    bool trustContextRecipe = true;
};

struct ContextBuildResult {
    std::string image;  // the normalised name it is stored under
    std::string digest; // the manifest's digest
    std::string method; // "host" or "buildah"
    bool pushed = false;
};

using BuildLog = std::function<void(const std::string&)>;

// Whether an image name says where to push it: a first path component with
// a '.' or a ':', or "localhost" (as docker reads names).
bool namesRegistry(std::string_view image);

// Builds, stores in containerd (namespace request.ns) and pushes when asked.
// Each step is a line to log. Nothing is left in containerd on failure.
Result<ContextBuildResult> buildContext(const ContextBuild& request, const BuildEnvironment& env,
                                        const BuildLog& log);

} // namespace faasd::build
