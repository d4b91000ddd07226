#include "daemon/install.hpp"

#include "common/files.hpp"
#include "common/self_signed.hpp"
#include "common/subprocess.hpp"
#include "config/daemon_config.hpp"
#include "daemon/component_config.hpp"
#include "daemon/credentials.hpp"
#include "network/conflist.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <unistd.h>

namespace faasd::daemon {
namespace {

namespace fs = std::filesystem;

constexpr const char* kUnitPath = "/etc/systemd/system/faasd.service";
// The unit's EnvironmentFile.
constexpr const char* kEnvFile = "/etc/default/faasd";

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

// Sets each NAME=value in an environment file, replacing the line that set
// NAME and keeping every other line; true when the file changed.
Result<bool> setEnvironment(const fs::path& file,
                            const std::vector<std::pair<std::string, std::string>>& vars) {
    std::string text;
    if (auto current = readFile(file)) {
        text = std::move(*current);
    }
    std::vector<std::string> lines;
    size_t start = 0;
    while (start < text.size()) {
        size_t end = text.find('\n', start);
        end = end == std::string::npos ? text.size() : end;
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    for (const auto& [name, value] : vars) {
        const std::string line = name + "=" + value;
        auto it = std::find_if(lines.begin(), lines.end(),
                               [&](const std::string& l) { return l.rfind(name + "=", 0) == 0; });
        if (it != lines.end()) {
            *it = line;
        } else {
            lines.push_back(line);
        }
    }
    std::string out;
    for (const auto& line : lines) {
        out += line + "\n";
    }
    if (out == text) {
        return false;
    }
    TRY(writeFileAtomic(file, out, 0644));
    return true;
}

// With --self-signed: the certificate made (or kept) and the daemon's
// configuration pointed at it.
Result<TlsFiles> prepareSelfSigned(config::DaemonConfig& c) {
    TRY_ASSIGN(auto files, ensureSelfSigned(fs::path(c.stateDir) / "tls", thisMachine()));
    if (!c.tlsCert.empty() && c.tlsCert != files.cert.string()) {
        return fail(Code::FailedPrecondition,
                    "FAASD_TLS_CERT is set to {}: --self-signed would replace it; unset it first",
                    c.tlsCert);
    }
    c.tlsCert = files.cert.string();
    c.tlsKey = files.key.string();
    fmt::print("{} a self-signed certificate {} and its key {}\n"
               "clients trust it with --tls-ca {} (or skip the check with --tls-no-verify)\n",
               files.created ? "made" : "kept", c.tlsCert, c.tlsKey, files.ca.string());
    return files;
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
    bool envChanged = false;
    if (!c.tlsCert.empty()) {
        TRY_ASSIGN(envChanged, setEnvironment(kEnvFile, {{"FAASD_TLS_CERT", c.tlsCert},
                                                         {"FAASD_TLS_KEY", c.tlsKey}}));
    }
    TRY(systemctl({"enable", "--now", "faasd.service"}));
    if (envChanged) {
        // A service already running reads the file again only when restarted.
        fmt::print("set FAASD_TLS_CERT and FAASD_TLS_KEY in {}\n", kEnvFile);
        TRY(systemctl({"try-restart", "faasd.service"}));
    }
    fmt::print("faasd is running: {}://127.0.0.1:{}\n"
               "log in with user admin and the password in {}\n",
               c.tlsCert.empty() ? "http" : "https", c.gatewayPort, c.basicAuthPasswordFile());
    return {};
}

} // namespace

Result<void> install(const InstallOptions& options) {
    TRY_ASSIGN(auto c, loadConfig());
    TRY(prepareMachine(c));
    if (options.selfSigned) {
        TRY(prepareSelfSigned(c));
    }
    if (!systemdRuns()) {
        const std::string tlsEnv =
            c.tlsCert.empty()
                ? ""
                : fmt::format("FAASD_TLS_CERT={} FAASD_TLS_KEY={} ", c.tlsCert, c.tlsKey);
        fmt::print("systemd is not running this machine, so no service was installed.\n"
                   "Start the daemon with: {}faasd up   (in the foreground; "
                   "hack/install.sh runs it in the background)\n",
                   tlsEnv);
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
