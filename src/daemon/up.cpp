#include "daemon/up.hpp"

#include "build/builder_api.hpp"
#include "cluster/async_queue.hpp"
#include "cluster/cluster.hpp"
#include "cluster/cluster_counters.hpp"
#include "common/files.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "common/subprocess.hpp"
#include "daemon/builder_adapter.hpp"
#include "daemon/component_config.hpp"
#include "daemon/containerd_supervisor.hpp"
#include "daemon/credentials.hpp"
#include "daemon/etcd_member.hpp"
#include "daemon/systemd_notify.hpp"
#include "daemon/triggers_adapter.hpp"
#include "gateway/gateway.hpp"
#include "provider/containerd_provider.hpp"
#include "queue/queue.hpp"
#include "scaler/scaler.hpp"

#include <cerrno>
#include <faasd_version.h>
#include <filesystem>
#include <fmt/ranges.h>
#include <memory>
#include <signal.h>
#include <time.h>

namespace faasd::daemon {
namespace {

const Logger kUpLog("up");

// What runs, declared in start order: the members are destroyed in reverse,
// so a start that fails half way stops what it made, last first.
struct Daemon {
    std::unique_ptr<SupervisedProcess> etcd;       // FAASD_CLUSTER_MEMBERS only
    std::unique_ptr<SupervisedProcess> containerd; // null: someone else's answered
    std::unique_ptr<ContainerdWatch> containerdWatch;
    std::unique_ptr<provider::ContainerdProvider> provider;
    std::unique_ptr<cluster::Cluster> cluster; // cluster mode only
    std::unique_ptr<queue::Queue> queue;
    std::unique_ptr<cluster::ClusterQueue> clusterQueue; // cluster mode: the queue in etcd
    std::unique_ptr<build::RemoteBuilder> builder;
    std::unique_ptr<GatewayBuilder> builderPort;
    std::unique_ptr<gateway::Gateway> gateway;
    std::unique_ptr<cluster::ClusterCounters>
        counters; // cluster mode: every gateway's, for the scaler
    std::unique_ptr<scaler::Scaler> scaler;
    std::unique_ptr<queue::HttpInvoker> syncInvoker; // the triggers' sync runs
    std::unique_ptr<triggers::Hub> triggers;
    std::string internalToken; // the queue's workers' pass to the gateway

    gateway::AsyncQueue* asyncQueue() const {
        return clusterQueue ? static_cast<gateway::AsyncQueue*>(clusterQueue.get()) : queue.get();
    }

    // What the gateway, queue, scaler and triggers see: the cluster's
    // functions in cluster mode, this VM's otherwise.
    provider::Provider& served() const {
        return cluster ? cluster->provider() : static_cast<provider::Provider&>(*provider);
    }
};

// Signals are taken by sigwait (SIGHUP reloads, the others stop); they are
// blocked before any thread starts.
sigset_t blockStopSignals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    signal(SIGPIPE, SIG_IGN);
    return signals;
}

// Whether SIGTERM or SIGINT arrives within timeout (a SIGHUP is ignored).
bool stopSignalWithin(const sigset_t& signals, std::chrono::milliseconds timeout) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return false;
        }
        const timespec wait{.tv_sec = static_cast<time_t>(left.count() / 1'000'000'000),
                            .tv_nsec = static_cast<long>(left.count() % 1'000'000'000)};
        const int sig = sigtimedwait(&signals, nullptr, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            kUpLog.info("received signal {} while starting; stopping", sig);
            return true;
        }
        if (sig < 0 && errno == EAGAIN) {
            return false;
        }
    }
}

Result<void> prepareStateDirs(const config::DaemonConfig& c) {
    std::error_code ec;
    for (const auto& dir : {c.stateDir, c.providerStateDir}) {
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return fail(Code::PermissionDenied, "creating {}: {}", dir, ec.message());
        }
    }
    bool haveCni = false;
    for (const auto& dir : c.cniPluginDirs) {
        haveCni = haveCni || std::filesystem::exists(std::filesystem::path(dir) / "bridge", ec);
    }
    if (!haveCni) {
        return fail(Code::FailedPrecondition,
                    "no CNI plugins (bridge) in {}: install containernetworking-plugins",
                    fmt::join(c.cniPluginDirs, ":"));
    }
    return {};
}

// The containerd that answers on the socket (supervised when an earlier run
// of ours started it), else one of our own.
Result<void> startOrAdoptContainerd(const config::DaemonConfig& c, Daemon& d) {
    if (containerdAnswers(c.containerdSocket, std::chrono::milliseconds(2000))) {
        if (c.startContainerd) {
            TRY_ASSIGN(d.containerd, adoptContainerd(c));
        }
        if (!d.containerd) {
            kUpLog.info("using the containerd on {}; it is left to its owner", c.containerdSocket);
        }
        return {};
    }
    if (!c.startContainerd || !isExecutable(c.containerdBinary)) {
        return fail(Code::Unavailable,
                    "containerd is not answering on {} and no {} binary to start",
                    c.containerdSocket, c.containerdBinary);
    }
    TRY_ASSIGN(d.containerd, startContainerd(c));
    return {};
}

Result<DaemonCredentials> loadCredentials(const config::DaemonConfig& c) {
    TRY_ASSIGN(auto creds, ensureCredentials(c));
    if (creds.created) {
        kUpLog.info("created admin credentials in {} and {}", c.basicAuthUserFile(),
                    c.basicAuthPasswordFile());
    }
    if (creds.payloadSecretCreated) {
        kUpLog.info("created the function builder's payload secret in {}", c.payloadSecretFile());
    }
    return creds;
}

// The provider, queue, builder, gateway and scaler, wired but not started.
// A cluster's nodes share one set of credentials: the first node's.
Result<void> adoptClusterCredentials(const config::DaemonConfig& c, cluster::Cluster& cluster,
                                     DaemonCredentials& creds) {
    const cluster::SharedCredentials ours{creds.user, creds.password, creds.payloadSecret};
    TRY_ASSIGN(auto shared, cluster.shareCredentials(ours));
    if (shared == ours) {
        return {};
    }
    creds.user = shared.user;
    creds.password = shared.password;
    creds.payloadSecret = shared.payloadSecret;
    TRY(storeCredentials(c, creds));
    kUpLog.info("using the cluster's credentials (now in {} and {})", c.basicAuthUserFile(),
                c.basicAuthPasswordFile());
    return {};
}

Result<void> buildComponents(const config::DaemonConfig& c, DaemonCredentials& creds, Daemon& d) {
    TRY_ASSIGN(d.provider, provider::ContainerdProvider::create(providerConfigFrom(c)));
    if (c.cluster.enabled()) {
        TRY_ASSIGN(auto clusterConfig, clusterConfigFrom(c));
        TRY_ASSIGN(d.cluster, cluster::Cluster::join(std::move(clusterConfig), *d.provider));
        TRY(adoptClusterCredentials(c, *d.cluster, creds));
    }
    d.internalToken = randomHex(16);
    if (c.queue.enabled && d.cluster) {
        // A request any node accepted runs even when that node dies.
        TRY_ASSIGN(d.clusterQueue,
                   cluster::ClusterQueue::open(
                       clusterQueueConfigFrom(c, d.cluster->nodeName()), d.cluster->etcd(),
                       [k = d.cluster.get()] { return k->leaseId(); }, &d.served()));
    } else if (c.queue.enabled) {
        TRY_ASSIGN(d.queue, queue::Queue::open(queueConfigFrom(c), d.served()));
    }
    if (c.builder.enabled) {
        TRY(build::prepareBuildsDir(c.buildsDir()));
        std::vector<std::string> warnings;
        d.builder = std::make_unique<build::RemoteBuilder>(
            builderConfigFrom(c, creds.payloadSecret, warnings));
        for (const auto& w : warnings) {
            kUpLog.warn("function builder: {}", w);
        }
        d.builderPort = std::make_unique<GatewayBuilder>(*d.builder);
    }
    d.gateway = std::make_unique<gateway::Gateway>(gatewayConfigFrom(c, creds, d.internalToken),
                                                   d.served());
    if (d.cluster) {
        d.gateway->setClusterView(d.cluster.get());
        d.gateway->addMetricsSource([k = d.cluster.get()] { return k->prometheusText(); });
    }
    d.containerdWatch =
        std::make_unique<ContainerdWatch>(c.containerdSocket, d.containerd ? "faasd" : "its owner");
    d.gateway->addHealthDetail([w = d.containerdWatch.get()] { return w->healthDetail(); });
    d.gateway->addMetricsSource([w = d.containerdWatch.get()] { return w->prometheusText(); });
    d.gateway->addMetricsSource(
        [p = d.provider.get()] { return p->startStages().prometheusText(); });
    d.gateway->setAsyncQueue(d.asyncQueue());
    d.gateway->setFunctionBuilder(d.builderPort.get());
    if (auto* q = d.asyncQueue()) {
        d.gateway->addMetricsSource([q] { return q->prometheusText(); });
    }
    if (c.triggers.enabled && d.cluster) {
        kUpLog.warn("cluster mode: function triggers are off on this node");
    } else if (c.triggers.enabled) {
        TRY_ASSIGN(d.triggers, makeTriggers(c, *d.provider, d.queue.get(), d.syncInvoker));
        d.gateway->setFunctionTriggers(d.triggers.get());
        d.gateway->addMetricsSource([t = d.triggers.get()] { return t->prometheusText(); });
    }
    if (c.scalerEnabled) {
        if (d.cluster) {
            // The scaler on the elected node decides from every node's calls.
            d.counters = std::make_unique<cluster::ClusterCounters>(
                d.gateway->metrics(), cluster::peersOf(*d.cluster),
                cluster::ClusterCountersConfig{.user = creds.user, .password = creds.password});
        }
        d.scaler = std::make_unique<scaler::Scaler>(
            scaler::configFrom(c), d.served(),
            d.counters ? static_cast<const gateway::InvocationCounters&>(*d.counters)
                       : d.gateway->metrics());
        d.gateway->setReplicaWaker(d.scaler.get());
        d.gateway->setAlertHandler(d.scaler.get());
        d.scaler->setEventSink(d.gateway->history());
        d.gateway->addMetricsSource([s = d.scaler.get()] { return s->prometheusText(); });
    }
    return {};
}

// Binds the gateway, then starts the queue's workers and the scaler.
Result<void> serve(const config::DaemonConfig& c, Daemon& d) {
    TRY(d.gateway->start());
    // With TLS the daemon's own listener is on 127.0.0.1 (Gateway::internalPort).
    const bool loopbackListener =
        c.gatewayAddress == "0.0.0.0" || c.gatewayAddress == "::" || !c.tlsCert.empty();
    const queue::HttpInvokerConfig loopback{.gatewayHost =
                                                loopbackListener ? "127.0.0.1" : c.gatewayAddress,
                                            .gatewayPort = d.gateway->internalPort(),
                                            .invokeTimeout = c.queue.invokeTimeout,
                                            .internalToken = d.internalToken};
    if (d.queue) {
        d.queue->start(std::make_unique<queue::HttpInvoker>(loopback));
    }
    if (d.clusterQueue) {
        d.clusterQueue->start(std::make_unique<queue::HttpInvoker>(loopback));
    }
    if (d.triggers) {
        d.syncInvoker = std::make_unique<queue::HttpInvoker>(loopback);
        d.triggers->start();
    }
    kUpLog.info("faasd {} serving on {}:{} (containerd {})", FAASD_VERSION, c.gatewayAddress,
                d.gateway->port(), c.containerdSocket);
    if (d.cluster) {
        // The scaler decides for the whole cluster: on the elected node only.
        if (d.scaler) {
            d.cluster->onLeadership([s = d.scaler.get()](bool leading) {
                if (leading) {
                    s->start();
                } else {
                    s->stop();
                }
            });
        }
        d.cluster->start();
        kUpLog.info("node {} of the cluster", d.cluster->nodeName());
    } else if (d.scaler) {
        d.scaler->start();
    }
    return {};
}

void removeAllFunctions(provider::Provider& provider) {
    auto namespaces = provider.listNamespaces();
    if (!namespaces) {
        return;
    }
    for (const auto& ns : *namespaces) {
        if (auto fns = provider.list(ns)) {
            for (const auto& fn : *fns) {
                // Stopping goes on with the others; what is left stays
                // deployed, as after any stop.
                (void)provider.remove(fn.name, ns);
            }
        }
    }
}

// The triggers first (no new runs; their sync calls cut), the queue (its
// running jobs still invoke through the gateway), then the gateway, the
// scaler, and what runs under them.
void shutDown(const config::DaemonConfig& c, Daemon& d) {
    if (d.syncInvoker) {
        d.syncInvoker->cancel();
    }
    if (d.triggers) {
        d.triggers->stop();
    }
    if (d.queue) {
        d.queue->stop();
    }
    if (d.clusterQueue) {
        d.clusterQueue->stop(); // what it could not finish goes to the other nodes
    }
    d.gateway->stop();
    d.containerdWatch.reset(); // no "not answering" while containerd stops, last
    if (d.cluster) {
        // Leaves the cluster (its replicas go elsewhere) and stops the
        // scheduler, which stops the scaler it started.
        d.cluster->stop();
    }
    d.scaler.reset();
    d.counters.reset();
    if (c.stopFunctionsOnExit) {
        removeAllFunctions(*d.provider);
    }
    d.gateway.reset();
    d.triggers.reset();
    d.syncInvoker.reset();
    d.builderPort.reset();
    d.builder.reset();
    d.queue.reset();
    d.clusterQueue.reset();
    d.cluster.reset();
    d.provider.reset();
    d.containerd.reset();
    d.etcd.reset(); // after the node left the cluster through it
}

} // namespace

Result<config::DaemonConfig> upConfig(const config::Env& env, const UpOptions& options) {
    TRY_ASSIGN(auto c, config::fromEnv(env));
    if (options.port) {
        c.gatewayPort = *options.port;
    }
    if (!options.stateDir.empty()) {
        c.stateDir = options.stateDir;
    }
    if (!options.containerdSocket.empty()) {
        c.containerdSocket = options.containerdSocket;
    }
    if (options.noAuth) {
        c.basicAuth = false;
    }
    if (options.stopFunctionsOnExit) {
        c.stopFunctionsOnExit = true;
    }
    if (!options.cluster.empty() || !options.node.empty() || !options.members.empty()) {
        // The flags go through the variables' own parsing and checks.
        auto env2 = env;
        if (!options.cluster.empty()) {
            env2["FAASD_CLUSTER_ETCD"] = options.cluster;
        }
        if (!options.members.empty()) {
            env2["FAASD_CLUSTER_MEMBERS"] = options.members;
        }
        if (!options.node.empty()) {
            env2["FAASD_CLUSTER_NODE"] = options.node;
        }
        TRY_ASSIGN(auto withFlags, config::fromEnv(env2));
        c.cluster = withFlags.cluster;
    }
    if (!c.cluster.enabled() && !c.cluster.node.empty() && !options.node.empty()) {
        return fail(Code::InvalidArgument, "--node needs --members or --cluster (or "
                                           "FAASD_CLUSTER_MEMBERS or FAASD_CLUSTER_ETCD)");
    }
    // With the members listed, each node's function subnet follows its place
    // in the list unless set: the same command on every VM.
    const auto subnet = env.find("FAASD_CNI_SUBNET");
    if (!c.cluster.members.empty() && (subnet == env.end() || subnet->second.empty())) {
        const auto self = c.cluster.node.empty() ? hostName() : c.cluster.node;
        for (size_t i = 0; i < c.cluster.members.size() && i < 255; ++i) {
            if (c.cluster.members[i].name == self) {
                c.cniSubnet = fmt::format("10.62.{}.0/24", i + 1);
            }
        }
    }
    return c;
}

Result<void> up(const config::DaemonConfig& c) {
    if (auto level = parseLogLevel(c.logLevel)) {
        setLogLevel(*level);
    }
    sigset_t signals = blockStopSignals();
    TRY(prepareStateDirs(c));
    Daemon d;
    if (!c.cluster.members.empty()) {
        // First: the other members may be waiting for this one.
        TRY_ASSIGN(d.etcd, startEtcdMember(c));
    }
    TRY(startOrAdoptContainerd(c, d));
    if (d.etcd) {
        const PauseOrStop pause = [&signals](std::chrono::milliseconds timeout) {
            return stopSignalWithin(signals, timeout);
        };
        TRY_ASSIGN(const bool formed, waitForEtcdCluster(c, pause));
        if (!formed) {
            sdNotify("STOPPING=1");
            return {}; // d stops what it started, last first
        }
    }
    TRY_ASSIGN(auto creds, loadCredentials(c));
    TRY(buildComponents(c, creds, d));
    TRY(serve(c, d));
    sdNotify("READY=1");

    int sig = 0;
    // SIGHUP reloads the TLS certificate; the others stop the daemon.
    while (sigwait(&signals, &sig) == 0 && sig == SIGHUP) {
        if (c.tlsCert.empty()) {
            kUpLog.info("SIGHUP: nothing to reload (TLS is off)");
        } else if (auto reloaded = d.gateway->reloadTls(); !reloaded) {
            kUpLog.error("SIGHUP: keeping the TLS certificate in use: {}",
                         reloaded.error().message());
        }
    }
    kUpLog.info("received signal {}; stopping", sig);
    sdNotify("STOPPING=1");
    shutDown(c, d);
    return {};
}

} // namespace faasd::daemon
