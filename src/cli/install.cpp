// faasd install / uninstall (src/daemon); here only their flags.

#include "daemon/install.hpp"

#include "cli/cli.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {
namespace {

void exitOnError(const Result<void>& done) {
    if (!done) {
        fmt::print(stderr, "faasd: {}\n", done.error().message());
        throw CommandFailed{1};
    }
}

} // namespace

void addInstall(Command& app) {
    auto& cmd =
        app.subcommand("install", "Prepare this machine for faasd and install the systemd service");
    auto options = std::make_shared<daemon::InstallOptions>();
    cmd.flag("--self-signed", options->selfSigned,
             "serve HTTPS with a certificate made for this machine (kept in <state dir>/tls)");
    cmd.callback([options] { exitOnError(daemon::install(*options)); });
    auto& un = app.subcommand("uninstall", "Remove the faasd service (data kept)");
    auto purge = std::make_shared<bool>(false);
    un.flag("--purge", *purge, "also remove state, secrets and the CNI config");
    un.callback([purge] { exitOnError(daemon::uninstall(*purge)); });
}

} // namespace faasd::cli
