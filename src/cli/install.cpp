// faasd install / uninstall: set the machine up for the daemon (state
// dirs, credentials, CNI config) and, where systemd runs the machine, the
// faasd service. Running install twice changes nothing the second time.

#include "cli/cli.hpp"
#include "cli/daemon_support.hpp"
#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "network/conflist.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include <filesystem>

namespace faasd::cli {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnitPath = "/etc/systemd/system/faasd.service";

bool systemdRuns() {
    std::error_code ec;
    return fs::is_directory("/run/systemd/system", ec);
}

// The unit installed beside this binary: <prefix>/lib/systemd/system.
Result<fs::path> installedUnit() {
    std::error_code ec;
    auto exe = fs::read_symlink("/proc/self/exe", ec);
    if (ec) {
        return fail(Code::Internal, "finding faasd's own path: {}", ec.message());
    }
    auto unit = exe.parent_path().parent_path() / "lib/systemd/system/faasd.service";
    if (!fs::exists(unit, ec)) {
        return fail(Code::NotFound, "no unit file at {}: install faasd with meson install",
                    unit.string());
    }
    return unit;
}

Result<void> systemctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"systemctl"};
    argv.insert(argv.end(), args.begin(), args.end());
    TRY_ASSIGN(auto out, faasd::run({.argv = argv}, "", std::chrono::seconds(90)));
    if (out.status != 0) {
        return fail(Code::Internal, "{} failed: {}", commandLine(argv), out.err);
    }
    return {};
}

int failWith(const std::string& message) {
    fmt::print(stderr, "faasd: {}\n", message);
    return 1;
}

Result<config::DaemonConfig> loadConfig() {
    if (::geteuid() != 0) {
        return fail(Code::PermissionDenied, "run as root");
    }
    return config::fromEnv(config::processEnv());
}

int install() {
    auto c = loadConfig();
    if (!c) {
        return failWith(c.error().message());
    }
    std::error_code ec;
    fs::create_directories(c->stateDir, ec);
    fs::create_directories(c->providerStateDir, ec);
    fs::permissions(c->providerStateDir, fs::perms::owner_all, ec);
    auto creds = ensureCredentials(*c);
    if (!creds) {
        return failWith(creds.error().message());
    }
    auto provider = providerConfigFrom(*c);
    auto wrote = network::ensureConflist(provider.network);
    if (!wrote) {
        return failWith(wrote.error().message());
    }
    fmt::print("state in {} and {}\n", c->stateDir, c->providerStateDir);
    fmt::print("admin credentials in {} and {}{}\n", c->basicAuthUserFile(),
               c->basicAuthPasswordFile(), creds->created ? " (created)" : "");
    if (*wrote) {
        fmt::print("wrote the CNI network config {}\n", provider.network.conflistPath().string());
    }

    if (!systemdRuns()) {
        fmt::print("systemd is not running this machine, so no service was installed.\n"
                   "Start the daemon with: faasd up   (in the foreground; "
                   "hack/install.sh runs it in the background)\n");
        return 0;
    }
    auto unit = installedUnit();
    if (!unit) {
        return failWith(unit.error().message());
    }
    auto wanted = readFile(*unit);
    if (!wanted) {
        return failWith(wanted.error().message());
    }
    auto current = readFile(kUnitPath);
    if (!current || *current != *wanted) {
        if (auto r = writeFileAtomic(kUnitPath, *wanted, 0644); !r) {
            return failWith(r.error().message());
        }
        if (auto r = systemctl({"daemon-reload"}); !r) {
            return failWith(r.error().message());
        }
        fmt::print("installed {}\n", kUnitPath);
    }
    if (auto r = systemctl({"enable", "--now", "faasd.service"}); !r) {
        return failWith(r.error().message());
    }
    fmt::print("faasd is running: http://127.0.0.1:{}\n"
               "log in with user admin and the password in {}\n",
               c->gatewayPort, c->basicAuthPasswordFile());
    return 0;
}

int uninstall(bool purge) {
    auto c = loadConfig();
    if (!c) {
        return failWith(c.error().message());
    }
    std::error_code ec;
    if (systemdRuns() && fs::exists(kUnitPath, ec)) {
        (void)systemctl({"disable", "--now", "faasd.service"});
        fs::remove(kUnitPath, ec);
        (void)systemctl({"daemon-reload"});
        fmt::print("removed {}\n", kUnitPath);
    }
    if (!purge) {
        fmt::print("kept {} and {} (use --purge to remove them)\n", c->stateDir,
                   c->providerStateDir);
        return 0;
    }
    auto provider = providerConfigFrom(*c);
    fs::remove(provider.network.conflistPath(), ec);
    fs::remove_all(c->stateDir, ec);
    fs::remove_all(c->providerStateDir, ec);
    fmt::print("removed {}, {} and {}\n", c->stateDir, c->providerStateDir,
               provider.network.conflistPath().string());
    return 0;
}

} // namespace

void addInstall(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "install", "Prepare this machine for faasd and install the systemd service");
    cmd->callback([] {
        if (int rc = install(); rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
    auto* un = app.add_subcommand("uninstall", "Remove the faasd service (data kept)");
    auto purge = std::make_shared<bool>(false);
    un->add_flag("--purge", *purge, "also remove state, secrets and the CNI config");
    un->callback([purge] {
        if (int rc = uninstall(*purge); rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
}

} // namespace faasd::cli
