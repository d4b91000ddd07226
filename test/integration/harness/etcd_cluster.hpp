#pragma once

// Integration-test harness: real etcd members (/usr/bin/etcd, Debian's
// etcd-server) on loopback, each on free ports with its data under a
// temporary directory; killed and removed with the EtcdCluster, and by the
// next run when a test binary died without cleaning up.

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/subprocess.hpp"

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace faasd::testing {

// Why etcd tests cannot run here (no etcd binary), or empty when they can.
std::string etcdSkipReason();

// PEM files for the members' client URLs (https://), when set.
struct EtcdTls {
    std::string certFile;
    std::string keyFile;
};

class EtcdCluster {
public:
    // size members, one cluster; returns once each answers /health.
    static Result<std::unique_ptr<EtcdCluster>> start(size_t size = 1,
                                                      std::optional<EtcdTls> tls = {});
    ~EtcdCluster();
    EtcdCluster(const EtcdCluster&) = delete;
    EtcdCluster& operator=(const EtcdCluster&) = delete;

    size_t size() const { return members_.size(); }
    // "http://127.0.0.1:port" of member i (https:// with TLS).
    const std::string& clientUrl(size_t i) const { return members_.at(i).clientUrl; }
    std::vector<std::string> clientUrls() const;

    // SIGKILL, and reaped: the member is gone at once, its data kept.
    void kill(size_t i);
    // Starts a killed member again on its data; returns once it answers
    // /health (it has rejoined its cluster's leader).
    Result<void> restart(size_t i);
    bool running(size_t i) const;
    // SIGSTOP: member i stops answering but its sockets stay open, as on a
    // hung host (calls wait for their deadline). Returns once every thread
    // of it has stopped. resume() sends SIGCONT.
    Result<void> pause(size_t i);
    void resume(size_t i);
    // Waits until member i answers /health with "true".
    Result<void> waitHealthy(size_t i, std::chrono::milliseconds timeout);

private:
    struct Member {
        std::string name;
        int clientPort = 0;
        int peerPort = 0;
        int metricsPort = 0; // plain http /health, with TLS or without
        std::string clientUrl;
        std::string peerUrl;
        std::optional<Subprocess> process;
    };

    explicit EtcdCluster(TempDir dir) : dir_(std::move(dir)) {}
    Result<void> launch(size_t i);

    TempDir dir_;
    std::optional<EtcdTls> tls_;
    std::string initialCluster_;
    std::vector<Member> members_;
};

// A TCP port on 127.0.0.1 that nothing listens on (for a dead endpoint).
Result<int> freeLoopbackPort();

} // namespace faasd::testing
