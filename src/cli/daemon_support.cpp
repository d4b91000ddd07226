#include "cli/daemon_support.hpp"

#include "build/function_build.hpp"
#include "build/template.hpp"
#include "common/files.hpp"
#include "common/hmac.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "containerd/client.hpp"

#include <cstdlib>
#include <faasd_version.h>
#include <filesystem>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace faasd::cli {
namespace {

const Logger kLog("daemon");

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

// The payload secret, made when absent or empty: faas-cli's
// --payload-secret file on the client must hold the same.
Result<void> ensurePayloadSecret(const config::DaemonConfig& config, Credentials& c) {
    if (auto secret = readFile(config.payloadSecretFile()); secret) {
        c.payloadSecret = std::string(trimSecret(*secret));
        if (!c.payloadSecret.empty()) {
            return {};
        }
    }
    c.payloadSecret = randomHex(32);
    c.payloadSecretCreated = true;
    return writeFileAtomic(config.payloadSecretFile(), c.payloadSecret, 0600);
}

Result<Credentials> basicAuthCredentials(const config::DaemonConfig& config) {
    std::error_code ec;
    auto dir = std::filesystem::path(config.basicAuthUserFile()).parent_path();
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return fail(Code::PermissionDenied, "creating {}: {}", dir.string(), ec.message());
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    Credentials c;
    auto user = readFile(config.basicAuthUserFile());
    auto password = readFile(config.basicAuthPasswordFile());
    if (user && password && !trimmed(*user).empty() && !trimmed(*password).empty()) {
        c.user = trimmed(*user);
        c.password = trimmed(*password);
        return c;
    }
    c.user = user && !trimmed(*user).empty() ? trimmed(*user) : "admin";
    c.password = randomHex(20);
    c.created = true;
    TRY(writeFileAtomic(config.basicAuthUserFile(), c.user, 0600));
    TRY(writeFileAtomic(config.basicAuthPasswordFile(), c.password, 0600));
    return c;
}

} // namespace

Result<Credentials> ensureCredentials(const config::DaemonConfig& config) {
    TRY_ASSIGN(auto c, basicAuthCredentials(config));
    TRY(ensurePayloadSecret(config, c));
    return c;
}

build::RemoteBuilderConfig builderConfigFrom(const config::DaemonConfig& c,
                                             const std::string& payloadSecret,
                                             std::vector<std::string>& warnings) {
    build::RemoteBuilderConfig b;
    b.payloadSecret = payloadSecret;
    b.buildsDir = c.buildsDir();
    b.maxBytes = c.builder.maxBytes;
    b.concurrency = static_cast<unsigned>(c.builder.concurrency);
    b.ns = "openfaas-fn";
    if (auto templates = build::findTemplatesDir(""); templates) {
        b.env.templatesDir = *templates;
    } else {
        warnings.push_back(templates.error().message());
    }
    if (auto watchdog = build::findWatchdog(); watchdog) {
        b.env.watchdog = *watchdog;
    } else {
        warnings.push_back(watchdog.error().message());
    }
    b.env.containerdSocket = c.containerdSocket;
    b.env.registry = providerConfigFrom(c).registry;
    b.env.buildahRoot = c.builder.buildahRoot;
    return b;
}

gateway::BuildAnswer GatewayBuilder::build(const gateway::BuildCall& call) {
    auto answer = builder_.handle(call.body, call.signature);
    if (call.accept.find("application/x-ndjson") != std::string::npos) {
        // A streaming client reads the outcome from the last line; a build
        // that ran and failed is told there (faas-cli shows its error),
        // while refusals keep their status code.
        const unsigned status = answer.httpStatus == 500 ? 200 : answer.httpStatus;
        return {status, "application/x-ndjson", build::answerNdjson(answer)};
    }
    return {answer.httpStatus, "application/json", build::answerJson(answer)};
}

bool containerdAnswers(const std::string& socket, std::chrono::milliseconds timeout) {
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
        return false;
    }
    auto client = containerd::Client::connect({.socket = socket, .timeout = timeout});
    return client && client->version().has_value();
}

Result<std::unique_ptr<OwnContainerd>> OwnContainerd::start(const config::DaemonConfig& config) {
    std::unique_ptr<OwnContainerd> c(new OwnContainerd());
    auto base = std::filesystem::path(config.stateDir) / "containerd";
    std::error_code ec;
    std::filesystem::create_directories(base, ec);
    std::filesystem::create_directories(
        std::filesystem::path(config.containerdSocket).parent_path(), ec);
    c->binary_ = config.containerdBinary;
    c->socket_ = config.containerdSocket;
    c->configPath_ = (base / "config.toml").string();
    c->logPath_ = (base / "containerd.log").string();
    std::string toml = fmt::format(R"(version = 2
root = "{0}/root"
state = "{0}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{1}"

[ttrpc]
  address = "{1}.ttrpc"
)",
                                   base.string(), config.containerdSocket);
    TRY(writeFileAtomic(c->configPath_, toml));
    TRY(c->launch());
    c->supervisor_ = std::thread([raw = c.get()] { raw->supervise(); });
    return c;
}

Result<void> OwnContainerd::launch() {
    auto proc = Subprocess::spawn(
        {.argv = {"sh", "-c",
                  fmt::format("exec {} --config {} >>{} 2>&1", binary_, configPath_, logPath_)},
         .out = Stdio::Null,
         .err = Stdio::Null,
         .newSession = true});
    if (!proc) {
        return fail(proc.error().context("starting containerd"));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (proc->poll()) {
            return fail(Code::Unavailable, "containerd exited at start; see {}", logPath_);
        }
        if (containerdAnswers(socket_, std::chrono::milliseconds(500))) {
            std::lock_guard lock(mu_);
            process_ = std::make_unique<Subprocess>(std::move(*proc));
            kLog.info("started containerd (pid {}) on {}; log in {}", process_->pid(), socket_,
                      logPath_);
            return {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return fail(Code::Timeout, "containerd did not answer on {} within 30 s; see {}", socket_,
                logPath_);
}

void OwnContainerd::supervise() {
    auto backoff = std::chrono::milliseconds(500);
    while (!stopping_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::optional<int> status;
        {
            std::lock_guard lock(mu_);
            if (process_) {
                status = process_->poll();
            }
        }
        if (!status || stopping_) {
            continue;
        }
        kLog.warn("containerd exited with status {}; restarting in {} ms", *status,
                  backoff.count());
        std::this_thread::sleep_for(backoff);
        if (stopping_) {
            break;
        }
        if (auto r = launch(); !r) {
            kLog.error("{}", r.error().message());
            backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
        } else {
            backoff = std::chrono::milliseconds(500);
        }
    }
}

OwnContainerd::~OwnContainerd() {
    stopping_ = true;
    if (supervisor_.joinable()) {
        supervisor_.join();
    }
    std::lock_guard lock(mu_);
    if (process_) {
        process_->kill(SIGTERM);
        if (!process_->wait(std::chrono::seconds(10))) {
            process_->kill(SIGKILL);
            (void)process_->wait();
        }
    }
}

provider::ProviderConfig providerConfigFrom(const config::DaemonConfig& c) {
    provider::ProviderConfig p;
    p.stateDir = c.providerStateDir;
    p.containerdSocket = c.containerdSocket;
    p.snapshotter = c.snapshotter;
    p.network.bridge = c.cniBridge;
    p.network.subnet = c.cniSubnet;
    p.network.confDir = c.cniConfDir;
    p.network.pluginDirs.assign(c.cniPluginDirs.begin(), c.cniPluginDirs.end());
    p.network.netnsDir = c.netnsDir;
    p.network.ipamDataDir = c.cniIpamDir;
    p.network.stateDir = std::filesystem::path(c.providerStateDir) / "cni";
    p.pullPolicy = image::parsePullPolicy(c.pullPolicy).value_or(image::PullPolicy::IfNotPresent);
    p.registry.insecure = c.insecureRegistries;
    p.registry.mirrors = c.registryMirrors;
    std::error_code ec;
    if (std::filesystem::exists(c.dockerConfig, ec)) {
        p.registry.dockerConfig = c.dockerConfig;
    }
    p.nameservers = c.nameservers;
    p.readinessTimeout = c.readinessTimeout;
    p.maxReplicas = c.maxReplicas;
    p.version = FAASD_VERSION;
    return p;
}

void sdNotify(const std::string& state) {
    const char* path = std::getenv("NOTIFY_SOCKET");
    if (path == nullptr || path[0] == '\0') {
        return;
    }
    UniqueFd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string p = path;
    if (p.size() >= sizeof addr.sun_path) {
        return;
    }
    std::copy(p.begin(), p.end(), addr.sun_path);
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + p.size());
    if (p[0] == '@') {
        addr.sun_path[0] = '\0'; // abstract socket
    }
    (void)::sendto(fd.get(), state.data(), state.size(), MSG_NOSIGNAL,
                   reinterpret_cast<sockaddr*>(&addr), len);
}

} // namespace faasd::cli
