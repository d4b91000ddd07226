#include "watchdog/server.hpp"

#include "watchdog/handler.hpp"
#include "watchdog/lock_file.hpp"
#include "watchdog/log_line.hpp"
#include "watchdog/session.hpp"

#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <vector>

namespace faasd::watchdog {

namespace {

constexpr auto tickInterval = std::chrono::milliseconds(20);

Result<uint16_t> openAcceptor(tcp::acceptor& acceptor, int port) {
    error_code ec;
    // Dual-stack like Go's ":8080"; IPv4 only where IPv6 is off.
    tcp::endpoint endpoint(tcp::v6(), static_cast<uint16_t>(port));
    acceptor.open(endpoint.protocol(), ec);
    if (!ec) {
        acceptor.set_option(asio::ip::v6_only(false), ec);
    }
    if (ec) {
        acceptor.close(ec);
        endpoint = tcp::endpoint(tcp::v4(), static_cast<uint16_t>(port));
        acceptor.open(endpoint.protocol(), ec);
        if (ec) {
            return fail(Code::Unavailable, "opening a socket: {}", ec.message());
        }
    }
    acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
    acceptor.bind(endpoint, ec);
    if (ec) {
        return fail(Code::Unavailable, "listening on port {}: {}", port, ec.message());
    }
    acceptor.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
        return fail(Code::Unavailable, "listening on port {}: {}", port, ec.message());
    }
    return acceptor.local_endpoint().port();
}

} // namespace

Server::Server(asio::io_context& io, const Config& config, Metrics& metrics, Handler& handler)
    : io_(io), config_(config), metrics_(metrics), handler_(handler), acceptor_(io),
      metricsAcceptor_(io), ticker_(io), drainTimer_(io) {}

Result<void> Server::listen() {
    TRY_ASSIGN(port_, openAcceptor(acceptor_, config_.port));
    if (config_.metricsPort >= 0) {
        auto metricsPort = openAcceptor(metricsAcceptor_, config_.metricsPort);
        if (metricsPort) {
            metricsPort_ = *metricsPort;
        } else {
            // The function itself may use the port; serving it matters more.
            logLine("Metrics disabled: " + metricsPort.error().message());
        }
    }
    return {};
}

void Server::start() {
    accept(acceptor_, false);
    if (metricsPort_) {
        accept(metricsAcceptor_, true);
    }
}

void Server::accept(tcp::acceptor& acceptor, bool metricsOnly) {
    acceptor.async_accept([this, &acceptor, metricsOnly](const error_code& ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor.is_open()) {
            return;
        }
        if (!ec) {
            std::make_shared<Session>(*this, std::move(socket), metricsOnly)->start();
        } else if (ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
                   ec == asio::error::no_memory) {
            // Out of file descriptors: wait for connections to go away.
            logLine("accept: " + ec.message());
            auto timer = std::make_shared<asio::steady_timer>(io_, std::chrono::milliseconds(50));
            timer->async_wait([this, timer, &acceptor, metricsOnly](const error_code&) {
                if (acceptor.is_open()) {
                    accept(acceptor, metricsOnly);
                }
            });
            return;
        }
        accept(acceptor, metricsOnly);
    });
}

Result<void> Server::markReady() {
    if (!config_.suppressLock) {
        logLine("Writing lock-file to: " + config_.lockPath);
        auto written = writeLockFile(config_.lockPath);
        if (!written) {
            return fail(written.error().context("to disable the lock file set suppress_lock=true"));
        }
    } else {
        logLine("Warning: \"suppress_lock\" is enabled. No automated health-checks will be in "
                "place for your function.");
    }
    ready_ = true;
    return {};
}

bool Server::healthy() const {
    return ready_ && !draining_ && (config_.suppressLock || lockFilePresent(config_.lockPath));
}

bool Server::limitReached() const {
    return config_.maxInflight > 0 && exchanges_ >= config_.maxInflight;
}

void Server::add(Session* session) {
    sessions_.insert(session);
    scheduleTick();
}

void Server::remove(Session* session) {
    sessions_.erase(session);
}

void Server::exchangeFinished() {
    --exchanges_;
    if (draining_ && exchanges_ == 0) {
        asio::post(io_, [this] { checkDrained(); });
    }
}

void Server::scheduleTick() {
    if (ticking_) {
        return;
    }
    ticking_ = true;
    ticker_.expires_after(tickInterval);
    ticker_.async_wait([this](const error_code& ec) {
        ticking_ = false;
        if (!ec) {
            tick();
        }
    });
}

void Server::tick() {
    auto now = Clock::now();
    std::vector<Session*> sessions(sessions_.begin(), sessions_.end());
    for (Session* session : sessions) {
        // A session may end while another one's deadline runs.
        if (sessions_.count(session) != 0) {
            auto keep = session->shared_from_this();
            keep->tick(now);
        }
    }
    if (draining_) {
        checkDrained();
    }
    if (!sessions_.empty() || (draining_ && drained_)) {
        scheduleTick();
    }
}

void Server::shutdown(std::function<void()> done) {
    if (draining_) {
        return;
    }
    draining_ = true;
    drained_ = std::move(done);
    logLine("SIGTERM: no new connections in " + formatDuration(config_.healthcheckInterval));
    if (!config_.suppressLock) {
        logLine("Removing lock-file : " + config_.lockPath);
        removeLockFile(config_.lockPath);
    }
    if (config_.healthcheckInterval.count() > 0) {
        drainTimer_.expires_after(config_.healthcheckInterval);
        drainTimer_.async_wait([this](const error_code&) { stopAccepting(); });
    } else {
        stopAccepting();
    }
}

void Server::stopAccepting() {
    error_code ec;
    acceptor_.close(ec);
    metricsAcceptor_.close(ec);
    acceptorsClosed_ = true;
    logLine("No new connections allowed, draining: " + std::to_string(exchanges_) + " requests");
    drainDeadline_ = Clock::now() + config_.writeTimeout;
    std::vector<Session*> sessions(sessions_.begin(), sessions_.end());
    for (Session* session : sessions) {
        if (sessions_.count(session) != 0) {
            auto keep = session->shared_from_this();
            keep->closeIfIdle();
        }
    }
    checkDrained();
    scheduleTick();
}

void Server::checkDrained() {
    if (!acceptorsClosed_ || !drained_) {
        return;
    }
    bool timedOut =
        config_.writeTimeout.count() > 0 && drainDeadline_ && Clock::now() > *drainDeadline_;
    if (exchanges_ > 0 && !timedOut) {
        return;
    }
    logLine("Exiting. Active connections: " + std::to_string(exchanges_));
    auto done = std::move(drained_);
    drained_ = nullptr;
    done();
}

} // namespace faasd::watchdog
