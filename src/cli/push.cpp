// faasd push -f stack.yml: each function's image, from containerd's store,
// to the registry its name gives, over the OCI distribution API.

#include "image/push.hpp"

#include "api/types.hpp"
#include "build/context_build.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"
#include "cli/image_verbs.hpp"
#include "containerd/client.hpp"
#include "image/pull.hpp"
#include "image/reference.hpp"

#include <cstdlib>
#include <filesystem>
#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct PushVerbFlags {
    std::string yaml;
    std::string filter;
    std::string regex;
    PushFlags push;
};

std::string defaultDockerConfig() {
    if (const char* dir = std::getenv("DOCKER_CONFIG"); dir && *dir) {
        return std::string(dir) + "/config.json";
    }
    if (const char* home = std::getenv("HOME"); home && *home) {
        return std::string(home) + "/.docker/config.json";
    }
    return "";
}

} // namespace

void addPushFlags(Command& cmd, PushFlags& flags) {
    cmd.option("--tls-verify", flags.tlsVerify,
               "false: speak plain http to the registry (loopback registries always are)")
        .defaultText("true");
    cmd.option("--docker-config", flags.dockerConfig,
               "registry credentials (default $DOCKER_CONFIG/config.json, "
               "~/.docker/config.json)");
}

Result<void> pushFunctions(const std::vector<config::StackFunction>& functions,
                           const PushFlags& flags) {
    TRY_ASSIGN(auto socket, containerdSocket(flags.containerdSocket));
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
        return fail(Code::Unavailable, "containerd is not running: no socket at {}", socket);
    }
    TRY_ASSIGN(auto client, containerd::Client::connect(
                                {.socket = socket, .timeout = std::chrono::seconds(60)}));
    image::RegistryOptions options;
    options.dockerConfig = flags.dockerConfig.empty() ? defaultDockerConfig() : flags.dockerConfig;
    for (const auto& fn : functions) {
        if (fn.image.empty()) {
            return fail(fn.error("image", "is required to push the function"));
        }
        auto ref = image::parseReference(fn.image);
        if (!ref) {
            return fail(fn.error("image", ref.error().message()));
        }
        if (!flags.tlsVerify) {
            options.insecure.push_back(ref->domain);
        }
        const std::string ns = fn.ns.empty() ? api::kDefaultNamespace : fn.ns;
        auto scoped = client.withNamespace(ns);
        if (auto local = scoped.images().get(ref->str()); !local) {
            if (local.error().code() == Code::NotFound) {
                return fail(Code::NotFound,
                            "pushing {}: no image {} in containerd namespace {} (run faasd build "
                            "-f first)",
                            fn.name, ref->str(), ns);
            }
            return fail(local.error().context(fmt::format("pushing {}", fn.name)));
        }
        fmt::print("[{}] pushing {}\n", fn.name, ref->str());
        std::fflush(stdout);
        TRY(withContext(image::pushImage(scoped, ref->str(), *ref, options),
                        fmt::format("pushing {}", fn.name)));
        auto record = scoped.images().get(ref->str());
        fmt::print("[{}] pushed {} {}\n", fn.name, ref->str(),
                   record ? record->target.digest : std::string());
        std::fflush(stdout);
    }
    return {};
}

Result<void> buildAndPush(const config::Stack& stack,
                          const std::vector<config::StackFunction>& functions,
                          const BuildFlags& buildFlags, PushFlags pushFlags) {
    TRY(buildFunctions(stack, functions, buildFlags));
    std::vector<config::StackFunction> remote;
    for (const auto& fn : functions) {
        if (!fn.skipBuild && !fn.lang.empty() && build::namesRegistry(fn.image)) {
            remote.push_back(fn);
        }
    }
    if (remote.empty()) {
        return {};
    }
    if (pushFlags.containerdSocket.empty()) {
        pushFlags.containerdSocket = buildFlags.containerdSocket;
    }
    return pushFunctions(remote, pushFlags);
}

void addPush(Command& app) {
    auto& cmd = app.subcommand("push", "Push the functions' images to their registries");
    auto f = std::make_shared<PushVerbFlags>();
    cmd.option("-f,--yaml", f->yaml, "stack file (default: ./stack.yml when present)");
    cmd.option("--filter", f->filter, "push the functions whose name matches a wildcard");
    cmd.option("--regex", f->regex, "push the functions whose name matches a regex");
    addPushFlags(cmd, f->push);
    cmd.option("--containerd-socket", f->push.containerdSocket,
               "containerd's socket (env FAASD_CONTAINERD_SOCKET)");
    cmd.callback([f] {
        runVerb([&]() -> Result<void> {
            TRY_ASSIGN(auto s, loadSelected(f->yaml, f->filter, f->regex,
                                            "no stack file: give -f stack.yml"));
            return pushFunctions(s.functions, f->push);
        });
    });
}

} // namespace faasd::cli
