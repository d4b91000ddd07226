#include "gateway/server.hpp"

#include "common/log.hpp"
#include "gateway/auth.hpp"
#include "gateway/exchange.hpp"
#include "gateway/logs.hpp"
#include "gateway/proxy.hpp"

#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <list>
#include <optional>
#include <thread>

namespace faasd::gateway {

namespace {

const Logger kLog("gateway");
constexpr uint32_t kHeaderLimit = 64 * 1024;

struct SessionState {
    beast::tcp_stream* stream = nullptr;
    bool idle = true;  // waiting for the next request
};

struct Worker {
    // Declared first, destroyed last: the sessions' guards touch it.
    std::list<SessionState*> sessions;
    net::io_context ioc{1};
    std::optional<net::executor_work_guard<net::io_context::executor_type>> work;
    std::unique_ptr<Proxy> proxy;
    std::thread thread;
};

bool isParseError(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

} // namespace

net::awaitable<bool> writeResponse(Exchange& ex, Response response, bool keepAlive) {
    http::response<http::string_body> res{static_cast<http::status>(response.status), ex.version};
    if (!response.contentType.empty()) {
        res.set(http::field::content_type, response.contentType);
    }
    for (auto& [key, value] : response.headers) {
        res.insert(key, value);
    }
    res.body() = std::move(response.body);
    res.keep_alive(keepAlive);
    res.prepare_payload();
    beast::error_code ec;
    ex.stream.expires_after(ex.config.clientTimeout);
    co_await http::async_write(ex.stream, res, ecToken(ec));
    co_return !ec && keepAlive;
}

net::awaitable<bool> sendContinueIfExpected(Exchange& ex) {
    auto& req = ex.parser.get();
    auto it = req.find(http::field::expect);
    if (it == req.end() || !beast::iequals(it->value(), "100-continue") || ex.version < 11) {
        co_return true;
    }
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ec;
    ex.stream.expires_after(ex.config.clientTimeout);
    co_await net::async_write(ex.stream, net::buffer(kContinue.data(), kContinue.size()),
                              ecToken(ec));
    co_return !ec;
}

struct Server::Impl {
    Impl(const GatewayConfig& c, const Services& s)
        : config(c), services(s), router(buildRouter(s)),
          blocking(std::max(1u, c.blockingThreads)) {
        if (c.authEnabled) {
            auth.emplace(c.credentials);
        }
    }

    net::awaitable<void> acceptLoop();
    net::awaitable<void> session(tcp::socket socket, Worker& worker);
    net::awaitable<bool> dispatch(Exchange& ex, Worker& worker);
    void cancelSessions(bool idleOnly);

    const GatewayConfig& config;
    Services services;
    Router router;
    std::optional<BasicAuth> auth;
    net::thread_pool blocking;
    LogStreams logStreams;
    std::vector<std::unique_ptr<Worker>> workers;
    std::optional<tcp::acceptor> acceptor;
    uint16_t port = 0;
    bool started = false;
    bool stopped = false;
    std::atomic<bool> stopping{false};
    size_t nextWorker = 0;  // used by the accept loop only

    std::mutex mutex;
    std::condition_variable sessionsDone;
    size_t activeSessions = 0;
};

// Keeps the session registry and the active count right however the
// session coroutine ends (including destruction at shutdown).
struct SessionGuard {
    SessionGuard(Server::Impl& impl, Worker& worker) : impl(impl), worker(worker) {
        it = worker.sessions.insert(worker.sessions.end(), &state);
    }
    ~SessionGuard() {
        worker.sessions.erase(it);
        std::lock_guard lock(impl.mutex);
        if (--impl.activeSessions == 0) {
            impl.sessionsDone.notify_all();
        }
    }
    Server::Impl& impl;
    Worker& worker;
    SessionState state;
    std::list<SessionState*>::iterator it;
};

net::awaitable<void> Server::Impl::acceptLoop() {
    beast::error_code ec;
    for (;;) {
        Worker& worker = *workers[nextWorker++ % workers.size()];
        tcp::socket socket(worker.ioc);
        co_await acceptor->async_accept(socket, ecToken(ec));
        if (stopping || !acceptor->is_open()) {
            co_return;
        }
        if (ec) {
            // Out of descriptors or similar: back off instead of spinning.
            kLog.warn("accept: {}", ec.message());
            net::steady_timer pause(co_await net::this_coro::executor,
                                    std::chrono::milliseconds(50));
            co_await pause.async_wait(ecToken(ec));
            continue;
        }
        socket.set_option(tcp::no_delay(true), ec);
        {
            std::lock_guard lock(mutex);
            ++activeSessions;
        }
        net::co_spawn(worker.ioc, session(std::move(socket), worker), net::detached);
    }
}

net::awaitable<void> Server::Impl::session(tcp::socket socket, Worker& worker) {
    SessionGuard guard(*this, worker);
    beast::error_code ec;
    std::string remote;
    if (auto peer = socket.remote_endpoint(ec); !ec) {
        remote = peer.address().to_string();
    }
    beast::tcp_stream stream(std::move(socket));
    guard.state.stream = &stream;
    beast::flat_buffer buffer;
    while (!stopping) {
        http::request_parser<http::empty_body> parser;
        parser.header_limit(kHeaderLimit);
        parser.body_limit(config.maxBodyBytes);
        guard.state.idle = true;
        stream.expires_after(config.clientTimeout);
        co_await http::async_read_header(stream, buffer, parser, ecToken(ec));
        guard.state.idle = false;
        Exchange ex{stream, buffer, parser, remote, config, 11};
        if (ec == http::error::body_limit) {
            co_await writeResponse(ex, Response::text(413, "request body too large\n"), false);
            break;
        }
        if (ec) {
            if (isParseError(ec)) {
                co_await writeResponse(ex, Response::text(400, "Bad Request\n"), false);
            }
            break;
        }
        ex.version = parser.get().version() >= 11 ? 11 : 10;
        if (!co_await dispatch(ex, worker)) {
            break;
        }
    }
    stream.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream.close();
}

net::awaitable<bool> Server::Impl::dispatch(Exchange& ex, Worker& worker) {
    auto& req = ex.parser.get();
    std::string_view target(req.target().data(), req.target().size());
    size_t q = target.find('?');
    std::string path(target.substr(0, q));
    std::string rawQuery = q == std::string_view::npos ? "" : std::string(target.substr(q + 1));
    std::string method(req.method_string());
    const bool hasBody = !ex.parser.is_done();
    const bool keepAlive = req.keep_alive();

    RouteMatch match = router.match(method, path);
    if (match.route == nullptr) {
        Response r = match.methodNotAllowed ? Response::text(405, "Method Not Allowed\n")
                                            : Response::text(404, "404 page not found\n");
        co_return co_await writeResponse(ex, std::move(r), keepAlive && !hasBody);
    }
    const Route& route = *match.route;
    if (route.auth && auth) {
        auto it = req.find(http::field::authorization);
        std::optional<std::string_view> header;
        if (it != req.end()) {
            header = std::string_view(it->value().data(), it->value().size());
        }
        if (!auth->allows(header)) {
            co_return co_await writeResponse(ex, BasicAuth::unauthorized(), keepAlive && !hasBody);
        }
    }
    if (route.kind == RouteKind::Invoke) {
        co_return co_await worker.proxy->invoke(ex, match.params["target"], std::move(rawQuery));
    }

    Request request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.query = parseQuery(rawQuery);
    request.rawQuery = std::move(rawQuery);
    request.params = std::move(match.params);
    request.remoteAddress = ex.remoteAddress;
    for (const auto& field : req) {
        request.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    if (hasBody) {
        if (auto length = ex.parser.content_length(); length && *length > config.maxBodyBytes) {
            co_return co_await writeResponse(ex, Response::text(413, "request body too large\n"),
                                             false);
        }
        if (!co_await sendContinueIfExpected(ex)) {
            co_return false;
        }
        http::request_parser<http::string_body> full{std::move(ex.parser)};
        full.body_limit(config.maxBodyBytes);
        beast::error_code ec;
        ex.stream.expires_after(config.clientTimeout);
        co_await http::async_read(ex.stream, ex.buffer, full, ecToken(ec));
        if (ec == http::error::body_limit) {
            co_return co_await writeResponse(ex, Response::text(413, "request body too large\n"),
                                             false);
        }
        if (ec) {
            co_return false;
        }
        request.body = std::move(full.get().body());
    }

    switch (route.kind) {
    case RouteKind::Logs:
        co_return co_await streamLogs(ex, request, services, logStreams);
    case RouteKind::Inline:
        co_return co_await writeResponse(ex, route.handler(request), keepAlive);
    default:
        break;
    }
    const Handler& handler = route.handler;
    Response response = co_await runBlocking(blocking, [&] { return handler(request); });
    co_return co_await writeResponse(ex, std::move(response), keepAlive);
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

Server::~Server() { stop(); }

uint16_t Server::port() const { return impl_->port; }

Result<void> Server::start() {
    Impl& s = *impl_;
    if (s.started) {
        return fail(Code::FailedPrecondition, "the gateway is already started");
    }
    unsigned n = s.config.ioThreads != 0 ? s.config.ioThreads : std::thread::hardware_concurrency();
    n = std::max(1u, n);
    for (unsigned i = 0; i < n; ++i) {
        auto w = std::make_unique<Worker>();
        w->work.emplace(w->ioc.get_executor());
        w->proxy = std::make_unique<Proxy>(w->ioc.get_executor(), s.services, s.blocking);
        s.workers.push_back(std::move(w));
    }
    beast::error_code ec;
    auto address = net::ip::make_address(s.config.bindAddress, ec);
    if (ec) {
        return fail(Code::InvalidArgument, "bad bind address {}: {}", s.config.bindAddress,
                    ec.message());
    }
    tcp::endpoint endpoint(address, s.config.port);
    s.acceptor.emplace(s.workers[0]->ioc);
    s.acceptor->open(endpoint.protocol(), ec);
    if (!ec) {
        s.acceptor->set_option(net::socket_base::reuse_address(true), ec);
    }
    if (!ec) {
        s.acceptor->bind(endpoint, ec);
    }
    if (!ec) {
        s.acceptor->listen(net::socket_base::max_listen_connections, ec);
    }
    if (ec) {
        s.acceptor.reset();
        s.workers.clear();
        return fail(Code::Unavailable, "listening on {}:{}: {}", s.config.bindAddress,
                    s.config.port, ec.message());
    }
    s.port = s.acceptor->local_endpoint(ec).port();
    net::co_spawn(s.workers[0]->ioc, s.acceptLoop(), net::detached);
    for (auto& w : s.workers) {
        Worker* worker = w.get();
        worker->thread = std::thread([worker] { worker->ioc.run(); });
    }
    s.started = true;
    kLog.info("listening on {}:{} with {} I/O threads", s.config.bindAddress, s.port, n);
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
    s.workers.clear();
}

} // namespace faasd::gateway
