#pragma once

// The watchdog's HTTP server: the function port (default 8080) and the
// metrics port (default 8081), the connection list, health and readiness,
// the max_inflight limiter, deadlines and the SIGTERM drain.

#include "common/error.hpp"
#include "watchdog/config.hpp"
#include "watchdog/metrics.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <unordered_set>

namespace faasd::watchdog {

class Handler;
class Session;

class Server {
public:
    Server(boost::asio::io_context& io, const Config& config, Metrics& metrics, Handler& handler);

    // Binds both ports (fails fast: port in use).
    Result<void> listen();
    uint16_t port() const { return port_; }
    std::optional<uint16_t> metricsPort() const { return metricsPort_; }
    void start();

    // The function can be served: writes the lock file.
    Result<void> markReady();
    // Requests can be served (the handler started; draining still serves).
    bool ready() const { return ready_; }
    // /_/health: ready, not draining, lock file present.
    bool healthy() const;
    // max_inflight reached.
    bool limitReached() const;
    bool draining() const { return draining_; }

    // SIGTERM: unhealthy at once, stop accepting after healthcheck_interval,
    // wait for in-flight requests (at most write_timeout), then done().
    void shutdown(std::function<void()> done);

    boost::asio::io_context& io() { return io_; }
    const Config& config() const { return config_; }
    Metrics& metrics() { return metrics_; }
    Handler& handler() { return handler_; }

    // Sessions register themselves for deadlines and the drain.
    void add(Session* session);
    void remove(Session* session);
    void exchangeStarted() { ++exchanges_; }
    void exchangeFinished();

private:
    void accept(boost::asio::ip::tcp::acceptor& acceptor, bool metricsOnly);
    void scheduleTick();
    void tick();
    void stopAccepting();
    void checkDrained();

    boost::asio::io_context& io_;
    const Config& config_;
    Metrics& metrics_;
    Handler& handler_;
    boost::asio::ip::tcp::acceptor acceptor_;
    boost::asio::ip::tcp::acceptor metricsAcceptor_;
    uint16_t port_ = 0;
    std::optional<uint16_t> metricsPort_;

    std::unordered_set<Session*> sessions_;
    boost::asio::steady_timer ticker_;
    boost::asio::steady_timer drainTimer_;
    bool ticking_ = false;
    size_t exchanges_ = 0;

    bool ready_ = false;
    bool draining_ = false;
    bool acceptorsClosed_ = false;
    std::optional<std::chrono::steady_clock::time_point> drainDeadline_;
    std::function<void()> drained_;
};

} // namespace faasd::watchdog
