// faasd up: the daemon in the foreground. Gateway, provider, queue, scaler
// and the function builder API in one process; logs to stderr.

#include "cli/cli.hpp"
#include "cli/daemon_support.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "common/subprocess.hpp"
#include "config/daemon_config.hpp"
#include "gateway/gateway.hpp"
#include "provider/containerd_provider.hpp"
#include "queue/queue.hpp"
#include "scaler/scaler.hpp"

#include <CLI/CLI.hpp>
#include <faasd_version.h>
#include <fmt/ranges.h>
#include <signal.h>
#include <unistd.h>

#include <filesystem>

namespace faasd::cli {
namespace {

const Logger kLog("up");

struct UpFlags {
    std::optional<uint16_t> port;
    std::string stateDir;
    std::string socket;
    bool noAuth = false;
    bool stopFunctionsOnExit = false;
};

queue::QueueConfig queueConfigFrom(const config::DaemonConfig& c) {
    const auto& q = c.queue;
    return {.database = c.queueDatabase(), .fullSync = q.fullSync, .maxItems = q.maxItems,
            .maxBytes = q.maxBytes, .maxBodyBytes = q.maxBodyBytes,
            .workers = static_cast<unsigned>(q.workers),
            .perReplica = static_cast<unsigned>(q.perReplica),
            .maxAttempts = static_cast<unsigned>(q.maxAttempts), .retryDelay = q.retryDelay,
            .maxRetryDelay = q.maxRetryDelay,
            .callbackAttempts = static_cast<unsigned>(q.callbackAttempts),
            .shutdownTimeout = q.shutdownTimeout, .keepCompleted = q.keepCompleted};
}

int fatal(const std::string& message) {
    fmt::print(stderr, "faasd up: {}\n", message);
    return 1;
}

int up(const UpFlags& flags) {
    auto loaded = config::fromEnv(config::processEnv());
    if (!loaded) {
        return fatal(loaded.error().message());
    }
    config::DaemonConfig c = *loaded;
    if (flags.port) {
        c.gatewayPort = *flags.port;
    }
    if (!flags.stateDir.empty()) {
        c.stateDir = flags.stateDir;
    }
    if (!flags.socket.empty()) {
        c.containerdSocket = flags.socket;
    }
    if (flags.noAuth) {
        c.basicAuth = false;
    }
    if (flags.stopFunctionsOnExit) {
        c.stopFunctionsOnExit = true;
    }
    if (auto level = parseLogLevel(c.logLevel)) {
        setLogLevel(*level);
    }

    // Signals are taken by sigwait below; block them before any thread starts.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);

    std::error_code ec;
    for (const auto& dir : {c.stateDir, c.providerStateDir}) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return fatal(fmt::format("creating {}: {}", dir, ec.message()));
        }
    }
    bool haveCni = false;
    for (const auto& dir : c.cniPluginDirs) {
        haveCni = haveCni || std::filesystem::exists(std::filesystem::path(dir) / "bridge", ec);
    }
    if (!haveCni) {
        return fatal(fmt::format("no CNI plugins (bridge) in {}: install containernetworking-plugins",
                                 fmt::join(c.cniPluginDirs, ":")));
    }

    std::unique_ptr<OwnContainerd> ownContainerd;
    if (!containerdAnswers(c.containerdSocket, std::chrono::milliseconds(2000))) {
        if (!c.startContainerd || !isExecutable(c.containerdBinary)) {
            return fatal(fmt::format("containerd is not answering on {} and no {} binary to start",
                                     c.containerdSocket, c.containerdBinary));
        }
        auto started = OwnContainerd::start(c);
        if (!started) {
            return fatal(started.error().message());
        }
        ownContainerd = std::move(*started);
    }

    auto creds = ensureCredentials(c);
    if (!creds) {
        return fatal(creds.error().message());
    }
    if (creds->created) {
        kLog.info("created admin credentials in {} and {}", c.basicAuthUserFile(),
                  c.basicAuthPasswordFile());
    }
    if (creds->payloadSecretCreated) {
        kLog.info("created the function builder's payload secret in {}", c.payloadSecretFile());
    }

    auto provider = provider::ContainerdProvider::create(providerConfigFrom(c));
    if (!provider) {
        return fatal(provider.error().message());
    }

    gateway::GatewayConfig g;
    g.bindAddress = c.gatewayAddress;
    g.port = c.gatewayPort;
    g.authEnabled = c.basicAuth;
    g.credentials = {creds->user, creds->password};
    g.maxBodyBytes = c.maxBodyBytes;
    g.internalToken = randomHex(16); // for the queue's workers only
    std::unique_ptr<queue::Queue> asyncQueue;
    if (c.queue.enabled) {
        auto opened = queue::Queue::open(queueConfigFrom(c), **provider);
        if (!opened) {
            return fatal(opened.error().message());
        }
        asyncQueue = std::move(*opened);
        // Accepts wait on the blocking pool for their group commit.
        g.blockingThreads = std::max<unsigned>(g.blockingThreads, c.queue.acceptThreads);
    }
    // The function builder API: its builds run on the blocking pool, each
    // holding a thread for as long as it builds, so the pool grows by as
    // many as may run at once.
    std::unique_ptr<build::RemoteBuilder> builder;
    std::unique_ptr<GatewayBuilder> builderPort;
    if (c.builder.enabled) {
        if (auto r = build::prepareBuildsDir(c.buildsDir()); !r) {
            return fatal(r.error().message());
        }
        std::vector<std::string> warnings;
        builder = std::make_unique<build::RemoteBuilder>(
            builderConfigFrom(c, creds->payloadSecret, warnings));
        for (const auto& w : warnings) {
            kLog.warn("function builder: {}", w);
        }
        builderPort = std::make_unique<GatewayBuilder>(*builder);
        g.blockingThreads += static_cast<unsigned>(c.builder.concurrency);
    }
    gateway::Gateway gw(g, **provider);
    gw.setAsyncQueue(asyncQueue.get());
    gw.setFunctionBuilder(builderPort.get());
    if (asyncQueue) {
        gw.addMetricsSource([q = asyncQueue.get()] { return q->prometheusText(); });
    }
    std::unique_ptr<scaler::Scaler> scaler;
    if (c.scalerEnabled) {
        scaler = std::make_unique<scaler::Scaler>(scaler::configFrom(c), **provider, gw.metrics());
        gw.setReplicaWaker(scaler.get());
        gw.setAlertHandler(scaler.get());
        gw.addMetricsSource([s = scaler.get()] { return s->prometheusText(); });
    }
    if (auto r = gw.start(); !r) {
        return fatal(r.error().message());
    }
    if (asyncQueue) {
        bool anyAddress = c.gatewayAddress == "0.0.0.0" || c.gatewayAddress == "::";
        asyncQueue->start(std::make_unique<queue::HttpInvoker>(queue::HttpInvokerConfig{
            .gatewayHost = anyAddress ? "127.0.0.1" : c.gatewayAddress,
            .gatewayPort = gw.port(),
            .invokeTimeout = c.queue.invokeTimeout,
            .internalToken = g.internalToken}));
    }
    kLog.info("faasd {} serving on {}:{} (containerd {})", FAASD_VERSION, c.gatewayAddress,
              gw.port(), c.containerdSocket);
    if (scaler) {
        scaler->start();
    }
    sdNotify("READY=1");

    int sig = 0;
    sigwait(&signals, &sig);
    kLog.info("received signal {}; stopping", sig);
    sdNotify("STOPPING=1");
    if (asyncQueue) {
        asyncQueue->stop(); // its running jobs still invoke through the gateway
    }
    gw.stop();
    scaler.reset();
    if (c.stopFunctionsOnExit) {
        if (auto namespaces = (*provider)->listNamespaces()) {
            for (const auto& ns : *namespaces) {
                if (auto fns = (*provider)->list(ns)) {
                    for (const auto& fn : *fns) {
                        (void)(*provider)->remove(fn.name, ns);
                    }
                }
            }
        }
    }
    provider->reset();
    ownContainerd.reset();
    return 0;
}

} // namespace

void addUp(CLI::App& app) {
    auto* cmd = app.add_subcommand("up", "Run the faasd daemon in the foreground");
    auto flags = std::make_shared<UpFlags>();
    cmd->add_option("--port", flags->port, "gateway port (env FAASD_GATEWAY_PORT, default 8080)");
    cmd->add_option("--state-dir", flags->stateDir, "state directory (env FAASD_STATE_DIR)");
    cmd->add_option("--containerd-socket", flags->socket,
                    "containerd's socket (env FAASD_CONTAINERD_SOCKET)");
    cmd->add_flag("--no-auth", flags->noAuth, "serve /system/* without basic auth");
    cmd->add_flag("--stop-functions-on-exit", flags->stopFunctionsOnExit,
                  "remove every function when stopping");
    cmd->callback([flags] {
        if (int rc = up(*flags); rc != 0) {
            throw CLI::RuntimeError(rc);
        }
    });
}

} // namespace faasd::cli
