#include "gateway/logger.hpp"
#include "gateway/server_impl.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>

namespace faasd::gateway {

Task<void> Server::Impl::acceptLoop(Acceptor& acceptor, bool secure) {
    beast::error_code ec;
    for (;;) {
        Worker& worker = *workers[nextWorker++ % workers.size()];
        Socket socket(worker.ioc.get_executor());
        co_await acceptor.async_accept(socket, ecToken(ec));
        if (stopping || !acceptor.is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors or similar: back off instead of spinning.
            kLog.warn("accept: {}", ec.message());
            Timer pause(co_await net::this_coro::executor, std::chrono::milliseconds(50));
            co_await pause.async_wait(ecToken(ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        {
            std::lock_guard lock(mutex);
            ++activeSessions;
        }
        net::co_spawn(worker.ioc, session(std::move(socket), worker, secure), net::detached);
    }
}

Task<void> Server::Impl::watchTls() {
    Timer timer(workers[0]->ioc.get_executor());
    beast::error_code ec;
    while (!stopping) {
        timer.expires_after(config.tls.watch);
        co_await timer.async_wait(ecToken(ec));
        if (stopping) {
            break;
        }
        // Logged once per change of the files: a failed pair is not read
        // again until one of them changes.
        if (auto changed = tls->reloadIfChanged(); !changed) {
            kLog.error("keeping the TLS certificate in use: {}", changed.error().message());
        } else if (*changed) {
            kLog.info("TLS certificate reloaded from {}", config.tls.certFile);
        }
    }
}

Result<Acceptor> Server::Impl::listen(const std::string& bindAddress, uint16_t listenPort) {
    beast::error_code ec;
    auto address = net::ip::make_address(bindAddress, ec);
    if (ec) {
        return fail(Code::InvalidArgument, "bad bind address {}: {}", bindAddress, ec.message());
    }
    tcp::endpoint endpoint(address, listenPort);
    Acceptor a(workers[0]->ioc.get_executor());
    a.open(endpoint.protocol(), ec);
    if (!ec) {
        a.set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        a.bind(endpoint, ec);
    }
    if (!ec) {
        a.listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        return fail(Code::Unavailable, "listening on {}:{}: {}", bindAddress, listenPort,
                    ec.message());
    }
    return a;
}

Task<void> Server::Impl::sweepDeadlines(Worker& worker) {
    Timer timer(worker.ioc.get_executor());
    beast::error_code ec;
    while (!stopping) {
        timer.expires_after(kDeadlineSweep);
        co_await timer.async_wait(ecToken(ec));
        const auto now = Deadline::Clock::now();
        for (SessionState* s : worker.sessions) {
            s->client.check(now);
            s->upstream.check(now);
        }
    }
}

void Server::Impl::cancelSessions(bool idleOnly) {
    for (auto& worker : workers) {
        Worker* w = worker.get();
        net::post(w->ioc, [w, idleOnly] {
            for (SessionState* s : w->sessions) {
                if (s->stream != nullptr && (s->idle || !idleOnly)) {
                    s->stream->cancel();
                }
            }
        });
    }
}

Server::Server(const GatewayConfig& config, const Services& services)
    : impl_(std::make_unique<Impl>(config, services)) {}

Server::~Server() {
    stop();
}

uint16_t Server::port() const {
    return impl_->port;
}

uint16_t Server::internalPort() const {
    return impl_->internalAcceptor ? impl_->internalPort : impl_->port;
}

Result<void> Server::reloadTls() {
    if (!impl_->tls) {
        return fail(Code::FailedPrecondition, "TLS is off (FAASD_TLS_CERT is not set)");
    }
    TRY(impl_->tls->reload());
    kLog.info("TLS certificate reloaded from {}", impl_->config.tls.certFile);
    return {};
}

Result<void> Server::start() {
    Impl& s = *impl_;
    if (s.started) {
        return fail(Code::FailedPrecondition, "the gateway is already started");
    }
    if (s.config.tls.enabled()) {
        s.tls = std::make_unique<TlsCertificates>(s.config.tls.certFile, s.config.tls.keyFile);
        TRY(s.tls->reload());
    }
    unsigned n = s.config.ioThreads != 0 ? s.config.ioThreads : std::thread::hardware_concurrency();
    n = std::max(1u, n);
    for (unsigned i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>();
        w->work.emplace(w->ioc.get_executor());
        w->proxy = std::make_unique<Proxy>(w->ioc.get_executor(), s.services, s.blocking);
        s.workers.push_back(std::move(w));
    }
    auto main = s.listen(s.config.bindAddress, s.config.port);
    if (!main) {
        s.workers.clear();
        s.tls.reset();
        return fail(std::move(main).error());
    }
    s.acceptor.emplace(std::move(*main));
    if (s.tls) {
        auto internal = s.listen("127.0.0.1", 0);
        if (!internal) {
            s.acceptor.reset(); // before the io_context it belongs to
            s.workers.clear();
            s.tls.reset();
            return fail(std::move(internal).error());
        }
        s.internalAcceptor.emplace(std::move(*internal));
    }
    beast::error_code ec;
    s.port = s.acceptor->local_endpoint(ec).port();
    net::co_spawn(s.workers[0]->ioc, s.acceptLoop(*s.acceptor, s.tls != nullptr), net::detached);
    if (s.tls) {
        s.internalPort = s.internalAcceptor->local_endpoint(ec).port();
        net::co_spawn(s.workers[0]->ioc, s.acceptLoop(*s.internalAcceptor, false), net::detached);
        if (s.config.tls.watch.count() > 0) {
            net::co_spawn(s.workers[0]->ioc, s.watchTls(), net::detached);
        }
    }
    for (auto& w : s.workers) {
        net::co_spawn(w->ioc, s.sweepDeadlines(*w), net::detached);
    }
    for (auto& w : s.workers) {
        Worker* worker = w.get();
        worker->thread = std::thread([worker] { worker->ioc.run(); });
    }
    s.started = true;
    kLog.info("listening on {}:{} ({}) with {} I/O threads", s.config.bindAddress, s.port,
              s.tls ? "HTTPS" : "HTTP", n);
    if (s.tls) {
        kLog.info("the daemon's own calls use plain HTTP on 127.0.0.1:{}", s.internalPort);
    }
    return {};
}

void Server::stop() {
    Impl& s = *impl_;
    if (!s.started || s.stopped) {
        return;
    }
    s.stopped = true;
    s.stopping = true;
    net::post(s.workers[0]->ioc, [&s] {
        beast::error_code ec;
        s.acceptor->close(ec);
        if (s.internalAcceptor) {
            s.internalAcceptor->close(ec);
        }
    });
    s.cancelSessions(true);
    s.logStreams.stopAll();
    {
        std::unique_lock lock(s.mutex);
        if (!s.sessionsDone.wait_for(lock, s.config.shutdownTimeout,
                                     [&] { return s.activeSessions == 0; })) {
            kLog.warn("{} connections still busy after {} ms; closing them", s.activeSessions,
                      s.config.shutdownTimeout.count());
            lock.unlock();
            s.cancelSessions(false);
            lock.lock();
            s.sessionsDone.wait_for(lock, std::chrono::seconds(1),
                                    [&] { return s.activeSessions == 0; });
        }
    }
    s.logStreams.stopAll();
    s.blocking.join();
    for (auto& w : s.workers) {
        w->work.reset();
        w->ioc.stop();
    }
    for (auto& w : s.workers) {
        if (w->thread.joinable()) {
            w->thread.join();
        }
    }
    for (auto& w : s.workers) {
        w->proxy->pool().clear();
    }
    s.acceptor.reset();
    s.internalAcceptor.reset();
    s.workers.clear();
}

} // namespace faasd::gateway
