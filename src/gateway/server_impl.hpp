#pragma once

// Internals of Server shared by server.cpp (threads, accept, stop) and
// session.cpp (one connection: read, route, answer).

#include "gateway/auth.hpp"
#include "gateway/exchange.hpp"
#include "gateway/logs.hpp"
#include "gateway/proxy.hpp"
#include "gateway/server.hpp"
#include "gateway/tls.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <condition_variable>
#include <list>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace faasd::gateway {

struct SessionState {
    Socket* stream = nullptr;
    bool idle = true; // waiting for the next request
    Deadline client;
    Deadline upstream;
    FieldArena arena; // before call: its parsers allocate from it
    ProxyCall call;

    // Before each request: the last one's parsers go, then the arena they
    // allocated from is emptied.
    void nextRequest() {
        call.body.reset();
        call.response.reset();
        arena.reset();
    }
};

struct Worker {
    // Declared first, destroyed last: the sessions' guards touch it.
    std::list<SessionState*> sessions;
    // Only this worker's thread runs handlers and touches its sockets
    // (other threads post to it; the acceptor hands over a connection by
    // registering it here), so the reactor's per-socket locks are off.
    net::io_context ioc{BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO};
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::unique_ptr<Proxy> proxy;
    std::thread thread;
};

struct Server::Impl {
    Impl(const GatewayConfig& c, const Services& s)
        : config(c), services(s), router(buildRouter(s)),
          blocking(std::max(1u, c.blockingThreads)) {
        if (c.authEnabled) {
            auth.emplace(c.credentials);
        }
    }

    // secure: the HTTPS listener (TLS, or a plain request's redirect).
    Task<void> acceptLoop(Acceptor& acceptor, bool secure);
    // Enforces the sessions' deadlines on one worker, every kDeadlineSweep.
    Task<void> sweepDeadlines(Worker& worker);
    // Reloads the TLS files when they change, every config.tls.watch.
    Task<void> watchTls();
    Task<void> session(Socket socket, Worker& worker, bool secure);
    // Before a secure session: the first byte tells TLS (a handshake
    // record) from plain HTTP; false when the client sent nothing.
    Task<bool> startsWithTls(Socket& socket, SessionState& state, bool& tls);
    Result<Acceptor> listen(const std::string& address, uint16_t port);
    Task<bool> dispatch(Exchange& ex, Worker& worker, ProxyCall& call);
    void cancelSessions(bool idleOnly);

    const GatewayConfig& config;
    Services services;
    Router router;
    std::optional<BasicAuth> auth;
    net::thread_pool blocking;
    LogStreams logStreams;
    std::vector<std::unique_ptr<Worker>> workers;
    std::optional<Acceptor> acceptor;
    uint16_t port = 0;
    std::unique_ptr<TlsCertificates> tls;     // with config.tls.enabled()
    std::optional<Acceptor> internalAcceptor; // plain, loopback; with tls
    uint16_t internalPort = 0;
    bool started = false;
    bool stopped = false;
    std::atomic<bool> stopping{false};
    size_t nextWorker = 0; // used by the accept loop only

    std::mutex mutex;
    std::condition_variable sessionsDone;
    size_t activeSessions = 0;
};

} // namespace faasd::gateway
