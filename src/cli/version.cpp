// faasd version: faasd's version, the gateway's when one answers, and
// containerd's when it answers.

#include "api/json.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"
#include "config/daemon_config.hpp"
#include "containerd/client.hpp"

#include <cstdlib>
#include <faasd_version.h>
#include <filesystem>
#include <fmt/format.h>

namespace faasd::cli {

namespace {

// FAASD_CONTAINERD_SOCKET, else the daemon's default.
std::string defaultSocket() {
    const char* env = std::getenv("FAASD_CONTAINERD_SOCKET");
    return env && *env ? env : config::DaemonConfig{}.containerdSocket;
}

// The gateway's line, when one answers; a gateway that does not answer is
// not an error (the daemon may run elsewhere or not at all).
void gatewayVersion(const GatewayFlags& flags) {
    auto client = connectGateway(flags);
    if (!client) {
        fmt::print(stderr, "faasd: {}\n", client.error().message());
        return;
    }
    auto answer = client->send({.path = "/system/info", .readTimeout = std::chrono::seconds(5)});
    if (!answer) {
        return;
    }
    if (!answer->ok()) {
        fmt::print(stderr, "faasd: {}\n",
                   answerError(*answer, "gateway " + client->url(), client->url()).message());
        return;
    }
    auto info = api::parseProviderInfo(answer->body);
    if (!info) {
        fmt::print(stderr, "faasd: gateway {}: {}\n", client->url(), info.error().message());
        return;
    }
    fmt::print("gateway {} version {} (commit {}), provider {} on {} version {}\n", client->url(),
               info->gatewayVersion.release, info->gatewayVersion.sha, info->provider,
               info->orchestration, info->providerVersion.release);
}

int version(const std::string& socket, const GatewayFlags& flags) {
    fmt::print("faasd version {} (commit {})\n", FAASD_VERSION, FAASD_GIT_SHA);
    std::fflush(stdout);
    gatewayVersion(flags);
    std::fflush(stdout);
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
        fmt::print(stderr, "faasd: containerd is not running: no socket at {}\n", socket);
        return 1;
    }
    auto client =
        containerd::Client::connect({.socket = socket, .timeout = std::chrono::milliseconds(3000)});
    if (!client) {
        fmt::print(stderr, "faasd: {}\n", client.error().message());
        return 1;
    }
    auto v = client->version();
    if (!v) {
        fmt::print(stderr, "faasd: {}\n", v.error().message());
        return 1;
    }
    fmt::print("containerd version {} (revision {})\n", v->version, v->revision);
    return 0;
}

} // namespace

void addVersion(Command& app) {
    auto& cmd = app.subcommand("version", "Print faasd's version, the gateway's and containerd's");
    auto socket = std::make_shared<std::string>(defaultSocket());
    auto flags = std::make_shared<GatewayFlags>();
    cmd.option("--containerd-socket", *socket, "containerd's socket (env FAASD_CONTAINERD_SOCKET)");
    addGatewayFlags(cmd, *flags);
    cmd.callback([socket, flags] {
        if (int rc = version(*socket, *flags); rc != 0) {
            throw CommandFailed{rc};
        }
    });
}

} // namespace faasd::cli
