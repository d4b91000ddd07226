#pragma once

// The OpenFaaS gateway: REST API, invoke proxy, basic auth and metrics on
// one HTTP port, in front of a Provider.
//
//   Gateway gw(config, provider);
//   gw.setReplicaWaker(&scaler);      // optional, before start()
//   gw.setFunctionBuilder(&builder);  // optional: POST /build
//   TRY(gw.start());                  // binds; fails fast (port in use)
//   ... gw.port() ...
//   gw.stop();                        // graceful, bounded

#include "common/outbound_policy.hpp"
#include "gateway/auth.hpp"
#include "gateway/function_builder.hpp"
#include "gateway/function_metrics.hpp"
#include "gateway/history_store.hpp"
#include "ports/alerts.hpp"
#include "ports/async_queue.hpp"
#include "ports/cluster_view.hpp"
#include "ports/function_triggers.hpp"
#include "ports/replica_waker.hpp"
#include "provider/provider.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace faasd::gateway {

// Returns Prometheus text exposition lines to append to /metrics.
using MetricsSource = std::function<std::string()>;
// Returns a line for /healthz about something degraded, or "" when all is
// well (the answer stays 200: the gateway serves).
using HealthDetail = std::function<std::string()>;

// HTTPS on the gateway's port (both files set) instead of plain HTTP.
struct TlsSettings {
    std::string certFile; // PEM: the certificate, then any intermediates
    std::string keyFile;  // PEM: its private key
    // A plain-HTTP request on the HTTPS port: true, a redirect (308) to
    // https://; false, refused (400).
    bool redirectPlain = true;
    // How often the files are checked for a change; 0: only reload().
    std::chrono::milliseconds watch{2'000};

    bool enabled() const { return !certFile.empty(); }
};

struct GatewayConfig {
    std::string bindAddress = "0.0.0.0";
    uint16_t port = 8080;         // 0: the OS chooses; read it back with port()
    unsigned ioThreads = 0;       // event loops; 0: one per core
    unsigned blockingThreads = 4; // provider calls (deploy can take seconds)

    bool authEnabled = false;
    Credentials credentials; // from basic-auth-user / basic-auth-password

    uint64_t maxBodyBytes = 32ull << 20; // larger bodies get 413
    std::string defaultNamespace = "openfaas-fn";
    // Where X-Callback-Url may point; a URL it refuses is 400. Default: anywhere.
    OutboundPolicy callbackPolicy;

    std::chrono::milliseconds upstreamConnectTimeout{5'000};
    std::chrono::milliseconds upstreamTimeout{60'000}; // each upstream read/write
    // A caller presenting this in X-Faasd-Internal (the queue's workers) may
    // set X-Faasd-Upstream-Timeout (seconds) to replace upstreamTimeout for
    // its call, so a long async job is not cut at 60 s and run again. Both
    // headers are never forwarded. Empty: nobody may.
    std::string internalToken;
    std::chrono::milliseconds clientTimeout{60'000};   // each client read/write, idle keep-alive
    std::chrono::milliseconds wakeTimeout{30'000};     // ReplicaWaker deadline
    std::chrono::milliseconds shutdownTimeout{10'000}; // stop() waits this long for in-flight
    size_t maxIdlePerUpstream = 64;                    // pooled keep-alive connections
    // Keep the metrics history (GET /system/metrics/history, the UI's
    // charts): a sample per function each second, in memory.
    bool history = true;
    std::chrono::milliseconds upstreamIdleTimeout{30'000};
    TlsSettings tls;
};

class Server;
class HistorySampler;

class Gateway {
public:
    Gateway(GatewayConfig config, provider::Provider& provider);
    ~Gateway();
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    // Optional collaborators; set before start(). Not owned.
    void setReplicaWaker(ReplicaWaker* waker) { waker_ = waker; }
    void setAsyncQueue(AsyncQueue* queue) { queue_ = queue; }
    void setAlertHandler(AlertHandler* handler) { alerts_ = handler; }
    // POST /build; without one it answers 404.
    void setFunctionBuilder(FunctionBuilder* builder) { builder_ = builder; }
    // Trigger annotations checked at deploy, GET /system/triggers; without
    // one the annotations are deployed unread and that route answers 501.
    void setFunctionTriggers(FunctionTriggers* triggers) { triggers_ = triggers; }
    // GET /system/cluster; without one (one VM) it answers 404.
    void setClusterView(ClusterView* cluster) { cluster_ = cluster; }
    // More Prometheus text for /metrics (the scaler's and the queue's
    // series), called on each scrape from an I/O thread; keep it cheap.
    void addMetricsSource(MetricsSource source) { metricsSources_.push_back(std::move(source)); }
    // More lines for /healthz (containerd away), called on each request.
    void addHealthDetail(HealthDetail detail) { healthDetails_.push_back(std::move(detail)); }

    Result<void> start();
    // Stops accepting, closes idle connections, lets in-flight requests
    // finish within shutdownTimeout, then closes the rest.
    void stop();
    uint16_t port() const;
    // Where the daemon's own callers (the queue's workers, the triggers)
    // reach the gateway in plain HTTP: with TLS on, a second listener on
    // 127.0.0.1 only; otherwise port().
    uint16_t internalPort() const;
    // Reads the TLS files again (SIGHUP); connections already open keep
    // theirs. An error keeps the certificate in use.
    Result<void> reloadTls();

    FunctionMetrics& metrics() { return metrics_; }
    // The metrics history (where the scaler marks its changes); null when off.
    MetricsHistory* history() { return history_.get(); }
    const GatewayConfig& config() const { return config_; }

private:
    GatewayConfig config_;
    provider::Provider& provider_;
    FunctionMetrics metrics_;
    ReplicaWaker* waker_ = nullptr;
    AsyncQueue* queue_ = nullptr;
    AlertHandler* alerts_ = nullptr;
    FunctionBuilder* builder_ = nullptr;
    FunctionTriggers* triggers_ = nullptr;
    ClusterView* cluster_ = nullptr;
    std::vector<MetricsSource> metricsSources_;
    std::vector<HealthDetail> healthDetails_;
    std::unique_ptr<MetricsHistory> history_;
    std::unique_ptr<HistorySampler> sampler_;
    std::unique_ptr<Server> server_;
};

} // namespace faasd::gateway
