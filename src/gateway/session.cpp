// One client connection: read a request header, route it, answer; repeat
// while the connection is kept alive and the server is not stopping.

#include "gateway/logger.hpp"
#include "gateway/server_impl.hpp"

#include <openssl/ssl.h>
#include <sys/socket.h>

namespace faasd::gateway {

namespace {

constexpr uint32_t kHeaderLimit = 64 * 1024;
// For a TLS handshake and the close_notify that ends a TLS connection.
constexpr std::chrono::milliseconds kTlsStepTimeout{10'000};

// A host name or address as a Host header may hold, port included.
bool plainHost(std::string_view host) {
    if (host.empty() || host.size() > 255) {
        return false;
    }
    for (char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (c >= '0' && c <= '9') || c == '.' || c == '-' || c == ':' || c == '[' ||
                        c == ']';
        if (!ok) {
            return false;
        }
    }
    return true;
}

// The answer to a plain-HTTP request on the HTTPS port: the same URL with
// https (308 keeps the method and body), or 400 when redirects are off or
// the request names no host.
Response plainHttpAnswer(const http::request_header<Fields>& req, bool redirect) {
    auto host = req.find(http::field::host);
    if (!redirect || host == req.end() || !plainHost(sv(host->value()))) {
        return Response::text(400, "This port speaks HTTPS: use an https:// URL\n");
    }
    std::string location = "https://";
    location.append(sv(host->value())).append(sv(req.target()));
    Response r = Response::text(308, "Use " + location + "\n");
    r.headers.emplace_back("Location", std::move(location));
    return r;
}

bool isParseError(const beast::error_code& ec) {
    return ec.category() == http::make_error_code(http::error::bad_target).category() &&
           ec != http::error::end_of_stream && ec != http::error::partial_message;
}

} // namespace

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

Task<bool> Server::Impl::startsWithTls(Socket& socket, SessionState& state, bool& isTls) {
    beast::error_code ec;
    state.client.arm(socket, config.clientTimeout);
    co_await socket.async_wait(Socket::wait_read, ecToken(ec));
    state.client.disarm();
    if (ec) {
        co_return false;
    }
    unsigned char first = 0;
    if (::recv(socket.native_handle(), &first, 1, MSG_PEEK | MSG_DONTWAIT) != 1) {
        co_return false;
    }
    isTls = first == 0x16; // the record type of a TLS handshake
    co_return true;
}

Task<void> Server::Impl::session(Socket socket, Worker& worker, bool secure) {
    SessionGuard guard(*this, worker);
    beast::error_code ec;
    std::string remote;
    if (auto peer = socket.remote_endpoint(ec); !ec) {
        remote = peer.address().to_string();
    }
    guard.state.stream = &socket;
    socket.non_blocking(true, ec); // see writeNow()
    // With TLS: the context this connection began with (a reload does not
    // touch it) and the TLS stream over the socket.
    std::shared_ptr<ssl::context> tlsContext;
    std::optional<TlsStream> tlsStream;
    bool plainOnTlsPort = false;
    if (secure) {
        bool isTls = false;
        if (!co_await startsWithTls(socket, guard.state, isTls)) {
            socket.close(ec);
            co_return;
        }
        if (isTls) {
            tlsContext = tls->current();
            tlsStream.emplace(socket, *tlsContext);
            guard.state.client.arm(socket, kTlsStepTimeout);
            co_await tlsStream->async_handshake(ssl::stream_base::server, ecToken(ec));
            guard.state.client.disarm();
            if (ec) {
                kLog.debug("TLS handshake with {}: {}", remote, ec.message());
                socket.close(ec);
                co_return;
            }
        } else {
            plainOnTlsPort = true;
        }
    }
    ClientStream stream(socket, tlsStream ? &*tlsStream : nullptr);
    beast::flat_buffer buffer;
    while (!stopping) {
        guard.state.nextRequest();
        RequestParser<http::empty_body> parser(std::piecewise_construct, std::make_tuple(),
                                               std::make_tuple(guard.state.arena.allocator()));
        parser.header_limit(kHeaderLimit);
        parser.body_limit(config.maxBodyBytes);
        guard.state.idle = true;
        guard.state.client.arm(socket, config.clientTimeout);
        while (parseBuffered(buffer, parser, ec)) {
            size_t n = co_await stream.async_read_some(prepareRead(buffer), ecToken(ec));
            if (!commitRead(buffer, parser, n, ec)) {
                break;
            }
        }
        guard.state.client.disarm();
        guard.state.idle = false;
        Exchange ex{stream,
                    buffer,
                    parser,
                    guard.state.arena,
                    remote,
                    config,
                    11,
                    guard.state.client,
                    guard.state.upstream};
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
        if (plainOnTlsPort) {
            co_await writeResponse(ex, plainHttpAnswer(parser.get(), config.tls.redirectPlain),
                                   false);
            break;
        }
        // The hot path: /function/ takes any method and no auth (invoke.cpp's
        // route), so it goes to the proxy straight from here, without the
        // route table or dispatch()'s coroutine frame.
        const auto target = sv(parser.get().target());
        const size_t q = target.find('?');
        static constexpr std::string_view kInvokePrefix = "/function/";
        bool keepOpen = false;
        if (target.substr(0, kInvokePrefix.size()) == kInvokePrefix && q >= kInvokePrefix.size()) {
            const size_t end = q == std::string_view::npos ? target.size() : q;
            // Named, not temporaries: GCC 12 miscompiles temporaries in a
            // co_await's arguments.
            const std::string_view function =
                target.substr(kInvokePrefix.size(), end - kInvokePrefix.size());
            const std::string_view query =
                q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
            keepOpen = co_await worker.proxy->invoke(ex, guard.state.call, function, query);
        } else {
            keepOpen = co_await dispatch(ex, worker, guard.state.call);
        }
        if (!keepOpen) {
            break;
        }
    }
    if (tlsStream) {
        // Sends close_notify without waiting for the client's.
        SSL_set_shutdown(tlsStream->native_handle(), SSL_RECEIVED_SHUTDOWN);
        guard.state.client.arm(socket, kTlsStepTimeout);
        co_await tlsStream->async_shutdown(ecToken(ec));
        guard.state.client.disarm();
    }
    socket.shutdown(Socket::shutdown_send, ec);
    socket.close(ec);
}

Task<bool> Server::Impl::dispatch(Exchange& ex, Worker& worker, ProxyCall& call) {
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
        const std::string invokeTarget = match.params["target"];
        co_return co_await worker.proxy->invoke(ex, call, invokeTarget, rawQuery);
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
        RequestParser<http::string_body> full{std::move(ex.parser)};
        full.body_limit(config.maxBodyBytes);
        beast::error_code ec;
        ex.armClient();
        co_await http::async_read(ex.stream, ex.buffer, full, ecToken(ec));
        ex.clientDeadline.disarm();
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

} // namespace faasd::gateway
