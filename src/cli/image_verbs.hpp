#pragma once

// What `faasd build`, `faasd push` and `faasd deploy --build` share:
// building a stack's functions into images in containerd's store (and OCI
// archives), and pushing them to their registries.

#include "common/error.hpp"
#include "config/stack.hpp"

#include <string>
#include <vector>

namespace faasd::cli {

class Command;

struct BuildFlags {
    std::string templatesDir;     // --templates-dir / FAASD_TEMPLATES_DIR
    std::string output;           // --output DIR: write DIR/NAME.tar (OCI image layout)
    std::string containerdSocket; // --containerd-socket; empty: the daemon's setting
};

struct PushFlags {
    bool tlsVerify = true;    // --tls-verify=false: plain http to the registries
    std::string dockerConfig; // empty: $DOCKER_CONFIG/config.json or ~/.docker/config.json
    std::string containerdSocket;
};

void addBuildFlags(Command& cmd, BuildFlags& flags);
void addPushFlags(Command& cmd, PushFlags& flags);

// Builds each function (checking all of them first: an unknown template or
// a missing handler folder is an error at its place in the stack file and
// builds nothing), imports the images into containerd in the function's
// namespace, and writes archives when asked. Functions without lang or with
// skip_build are left out.
Result<void> buildFunctions(const config::Stack& stack,
                            const std::vector<config::StackFunction>& functions,
                            const BuildFlags& flags);

// Pushes each function's image from containerd's store to its registry.
Result<void> pushFunctions(const std::vector<config::StackFunction>& functions,
                           const PushFlags& flags);

// The containerd socket: the flag, else the daemon's setting
// (FAASD_CONTAINERD_SOCKET, default /run/containerd/containerd.sock).
Result<std::string> containerdSocket(const std::string& flag);

// deploy --build: builds the functions, then pushes those whose image names
// a registry.
Result<void> buildAndPush(const config::Stack& stack,
                          const std::vector<config::StackFunction>& functions,
                          const BuildFlags& buildFlags, PushFlags pushFlags);

} // namespace faasd::cli
