#include "daemon/install.hpp"

#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "config/daemon_config.hpp"
#include "daemon/component_config.hpp"
#include "daemon/credentials.hpp"
#include "network/conflist.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

namespace faasd::daemon {
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

Result<config::DaemonConfig> loadConfig() {
    if (::geteuid() != 0) {
        return fail(Code::PermissionDenied, "run as root");
    }
    return config::fromEnv(config::processEnv());
}

// State dirs, credentials and the CNI network config.
Result<void> prepareMachine(const config::DaemonConfig& c) {
    std::error_code ec;
    fs::create_directories(c.stateDir, ec);
    fs::create_directories(c.providerStateDir, ec);
    fs::permissions(c.providerStateDir, fs::perms::owner_all, ec);
    TRY_ASSIGN(auto creds, ensureCredentials(c));
    auto provider = providerConfigFrom(c);
    TRY_ASSIGN(bool wrote, network::ensureConflist(provider.network));
    fmt::print("state in {} and {}\n", c.stateDir, c.providerStateDir);
    fmt::print("admin credentials in {} and {}{}\n", c.basicAuthUserFile(),
               c.basicAuthPasswordFile(), creds.created ? " (created)" : "");
    if (wrote) {
        fmt::print("wrote the CNI network config {}\n", provider.network.conflistPath().string());
    }
    return {};
}

// The unit file (when it differs) and the service enabled and started.
Result<void> installService(const config::DaemonConfig& c) {
    TRY_ASSIGN(auto unit, installedUnit());
    TRY_ASSIGN(auto wanted, readFile(unit));
    auto current = readFile(kUnitPath);
    if (!current || *current != wanted) {
        TRY(writeFileAtomic(kUnitPath, wanted, 0644));
        TRY(systemctl({"daemon-reload"}));
        fmt::print("installed {}\n", kUnitPath);
    }
    TRY(systemctl({"enable", "--now", "faasd.service"}));
    fmt::print("faasd is running: http://127.0.0.1:{}\n"
               "log in with user admin and the password in {}\n",
               c.gatewayPort, c.basicAuthPasswordFile());
    return {};
}

} // namespace

Result<void> install() {
    TRY_ASSIGN(auto c, loadConfig());
    TRY(prepareMachine(c));
    if (!systemdRuns()) {
        fmt::print("systemd is not running this machine, so no service was installed.\n"
                   "Start the daemon with: faasd up   (in the foreground; "
                   "hack/install.sh runs it in the background)\n");
        return {};
    }
    return installService(c);
}

Result<void> uninstall(bool purge) {
    TRY_ASSIGN(auto c, loadConfig());
    std::error_code ec;
    if (systemdRuns() && fs::exists(kUnitPath, ec)) {
        // Best effort: the unit goes either way, and a service already
        // stopped or never loaded is no reason to stop here.
        (void)systemctl({"disable", "--now", "faasd.service"});
        fs::remove(kUnitPath, ec);
        (void)systemctl({"daemon-reload"});
        fmt::print("removed {}\n", kUnitPath);
    }
    if (!purge) {
        fmt::print("kept {} and {} (use --purge to remove them)\n", c.stateDir, c.providerStateDir);
        return {};
    }
    auto provider = providerConfigFrom(c);
    fs::remove(provider.network.conflistPath(), ec);
    fs::remove_all(c.stateDir, ec);
    fs::remove_all(c.providerStateDir, ec);
    fmt::print("removed {}, {} and {}\n", c.stateDir, c.providerStateDir,
               provider.network.conflistPath().string());
    return {};
}

} // namespace faasd::daemon
