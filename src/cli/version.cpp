// faasd version: faasd's version and, when containerd answers, its version.

#include "cli/cli.hpp"
#include "containerd/client.hpp"

#include <CLI/CLI.hpp>
#include <faasd_version.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

namespace faasd::cli {

namespace {

std::string defaultSocket() {
    const char* env = std::getenv("FAASD_CONTAINERD_SOCKET");
    return env && *env ? env : "/run/containerd/containerd.sock";
}

int version(const std::string& socket) {
    fmt::print("faasd version {} (commit {})\n", FAASD_VERSION, FAASD_GIT_SHA);
    std::fflush(stdout);
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
        fmt::print(stderr, "faasd: containerd is not running: no socket at {}\n", socket);
        return 1;
    }
    auto client = containerd::Client::connect(
        {.socket = socket, .timeout = std::chrono::milliseconds(3000)});
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

void addVersion(CLI::App& app) {
    auto* cmd = app.add_subcommand("version", "Print faasd's version and containerd's");
    auto socket = std::make_shared<std::string>(defaultSocket());
    cmd->add_option("--containerd-socket", *socket,
                    "containerd's socket (env FAASD_CONTAINERD_SOCKET)");
    cmd->callback([socket] {
        if (int rc = version(*socket); rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
}

} // namespace faasd::cli
