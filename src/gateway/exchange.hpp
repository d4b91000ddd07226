#pragma once

// The Beast side of one request: the client stream, its read buffer and the
// header-only parser the server read. Shared by the server, the invoke
// proxy and log streaming; nothing else includes Beast.

#include "gateway/gateway.hpp"
#include "gateway/http_types.hpp"

#include <array>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <memory_resource>
#include <optional>
#include <string>
#include <type_traits>

namespace faasd::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

// Every coroutine, socket and timer of the gateway runs on one I/O
// thread's io_context and names its executor type: Asio's type-erased
// default (any_io_executor) costs a copy, a move and a virtual call at
// every step of every operation.
using Executor = net::io_context::executor_type;
template <typename T> using Task = net::awaitable<T, Executor>;
using Socket = net::basic_stream_socket<tcp, Executor>;
using Acceptor = net::basic_socket_acceptor<tcp, Executor>;
using Timer = net::basic_waitable_timer<std::chrono::steady_clock,
                                        net::wait_traits<std::chrono::steady_clock>, Executor>;

using TlsStream = net::ssl::stream<Socket&>;

// The client's connection as the gateway reads and writes it: the socket
// itself, or TLS over it. It is an Asio stream (Beast's writers take it)
// whose each operation goes to one or the other; deadlines, cancel and
// readiness work on socket() either way.
class ClientStream {
public:
    using executor_type = Executor;

    ClientStream(Socket& socket, TlsStream* tls) : socket_(socket), tls_(tls) {}

    Executor get_executor() { return socket_.get_executor(); }
    Socket& socket() { return socket_; }
    bool secure() const { return tls_ != nullptr; }

    template <typename Buffers, typename Token>
    auto async_read_some(const Buffers& buffers, Token&& token) {
        if (tls_ != nullptr) {
            return tls_->async_read_some(buffers, std::forward<Token>(token));
        }
        return socket_.async_read_some(buffers, std::forward<Token>(token));
    }
    template <typename Buffers, typename Token>
    auto async_write_some(const Buffers& buffers, Token&& token) {
        if (tls_ != nullptr) {
            return tls_->async_write_some(buffers, std::forward<Token>(token));
        }
        return socket_.async_write_some(buffers, std::forward<Token>(token));
    }

private:
    Socket& socket_;
    TlsStream* tls_;
};

inline Socket& socketOf(Socket& socket) {
    return socket;
}
inline Socket& socketOf(ClientStream& stream) {
    return stream.socket();
}

// Header fields, request targets and reasons are allocated from the
// connection's arena (see FieldArena), not one heap block each.
using FieldAlloc = std::pmr::polymorphic_allocator<char>;
using Fields = http::basic_fields<FieldAlloc>;
template <typename Body> using RequestParser = http::request_parser<Body, FieldAlloc>;
template <typename Body> using ResponseParser = http::response_parser<Body, FieldAlloc>;

// One connection's arena for the parsed heads of its current request and
// of the replica's answer: a bump allocator over a buffer kept with the
// connection (the heap only past it), emptied before the next request.
class FieldArena {
public:
    FieldArena() : resource_(buffer_.data(), buffer_.size()) {}
    FieldArena(const FieldArena&) = delete;
    FieldArena& operator=(const FieldArena&) = delete;

    FieldAlloc allocator() { return FieldAlloc(&resource_); }
    // Only once nothing allocated from it is alive.
    void reset() { resource_.release(); }

private:
    std::array<std::byte, 4096> buffer_;
    std::pmr::monotonic_buffer_resource resource_;
};

inline std::string_view sv(beast::string_view s) {
    return {s.data(), s.size()};
}

// Completion token that reports errors in ec instead of throwing.
inline auto ecToken(beast::error_code& ec) {
    return net::redirect_error(net::use_awaitable_t<Executor>{}, ec);
}

// The deadline of the operation under way on one socket, enforced by the
// server's sweep of its connections (every kDeadlineSweep) instead of a
// timer armed and cancelled around every read and write: on the invoke
// path those timers cost more instructions than the proxying itself. A
// timed-out operation ends with operation_aborted and `expired` set.
struct Deadline {
    using Clock = std::chrono::steady_clock;
    static constexpr auto kNever = Clock::time_point::max();

    Clock::time_point at = kNever;
    Socket* socket = nullptr;
    bool expired = false;

    void arm(Socket& s, std::chrono::milliseconds timeout) {
        socket = &s;
        at = Clock::now() + timeout;
        expired = false;
    }
    void disarm() {
        at = kNever;
        socket = nullptr;
    }
    // The sweep: cancels the operation once the deadline has passed.
    void check(Clock::time_point now) {
        if (now < at) {
            return;
        }
        expired = true;
        if (socket != nullptr) {
            beast::error_code ec;
            socket->cancel(ec);
        }
        disarm();
    }
};
constexpr std::chrono::milliseconds kDeadlineSweep{100};

// Reading and writing without Beast's composed operations, which cost a
// handler allocation, executor bookkeeping and, when the bytes are already
// buffered, a trip through the scheduler (Beast posts the completion).
// Sockets are in non-blocking mode. A read loop reads as Beast's
// async_read_some does (parse what is buffered; read more only when the
// parser needs it), in the caller's frame:
//
//     while (parseBuffered(buffer, parser, ec)) {
//         size_t n = co_await socket.async_read_some(prepareRead(buffer), ecToken(ec));
//         if (!commitRead(buffer, parser, n, ec)) break;
//     }
//
// It ends with ec clear once the parser made progress (a header parser
// stops at the end of the header), or with the error. need_buffer (a full
// buffer_body) is passed on as Beast does.

// Feeds the parser what buffer holds; true when it needs more bytes.
template <bool isRequest>
bool parseBuffered(beast::flat_buffer& buffer, http::basic_parser<isRequest>& parser,
                   beast::error_code& ec) {
    ec = {};
    if (buffer.size() == 0) {
        return true;
    }
    buffer.consume(parser.put(buffer.data(), ec));
    if (ec == http::error::need_more) {
        ec = {};
        return true;
    }
    return false;
}

inline net::mutable_buffer prepareRead(beast::flat_buffer& buffer) {
    return buffer.prepare(beast::read_size(buffer, 64 * 1024));
}

// After a read of n bytes into prepareRead(buffer): keeps them; false when
// the loop ends here. At the end of the stream the message ends as with
// Beast: put_eof() when some of it came (ec clear when that completes it),
// else end_of_stream.
template <bool isRequest>
bool commitRead(beast::flat_buffer& buffer, http::basic_parser<isRequest>& parser, size_t n,
                beast::error_code& ec) {
    buffer.commit(n);
    if (ec == net::error::eof) {
        if (parser.got_some()) {
            ec = {};
            parser.put_eof(ec);
        } else {
            ec = http::error::end_of_stream;
        }
        return false;
    }
    return !ec;
}

// A write is first tried at once: writeNow() sends what the socket takes
// without waiting and returns the count. Only a rest (the send buffer was
// full) is awaited, with writeRest(); a write that completes at once, the
// usual case, suspends nothing:
//
//     size_t done = writeNow(socket, buffers, ec);
//     if (!ec && done < beast::buffer_bytes(buffers)) {
//         co_await writeRest(socket, deadline, timeout, buffers, done, ec);
//     }
template <typename Buffers>
size_t writeNow(Socket& socket, const Buffers& buffers, beast::error_code& ec) {
    const size_t n = socket.write_some(buffers, ec);
    if (ec == net::error::would_block || ec == net::error::try_again) {
        ec = {};
        return 0;
    }
    return n;
}

// Over TLS nothing is written at once: the whole write is awaited.
template <typename Buffers>
size_t writeNow(ClientStream& stream, const Buffers& buffers, beast::error_code& ec) {
    if (stream.secure()) {
        ec = {};
        return 0;
    }
    return writeNow(stream.socket(), buffers, ec);
}

template <typename Stream, typename Buffers>
Task<void> writeRest(Stream& stream, Deadline& deadline, std::chrono::milliseconds timeout,
                     const Buffers& buffers, size_t done, beast::error_code& ec) {
    beast::buffers_suffix<Buffers> rest(buffers);
    rest.consume(done);
    deadline.arm(socketOf(stream), timeout);
    co_await net::async_write(stream, rest, ecToken(ec));
    deadline.disarm();
}

struct Exchange {
    ClientStream& stream;
    beast::flat_buffer& buffer;
    RequestParser<http::empty_body>& parser; // the header has been read
    FieldArena& arena;                       // where parser's fields live
    const std::string& remoteAddress;
    const GatewayConfig& config;
    unsigned version;           // the client's HTTP version: 10 or 11
    Deadline& clientDeadline;   // for every read and write on stream
    Deadline& upstreamDeadline; // for the replica's connection, on the invoke path

    // The client timeout, for the next read or write on stream.
    void armClient() { clientDeadline.arm(stream.socket(), config.clientTimeout); }
};

// Writes a buffered response; returns whether the connection stays open.
Task<bool> writeResponse(Exchange& ex, Response response, bool keepAlive);

// Answers "Expect: 100-continue" before the body is read; false on a write error.
Task<bool> sendContinueIfExpected(Exchange& ex);

// Runs fn on the blocking pool and resumes on the caller's executor.
template <typename F> Task<std::invoke_result_t<F&>> runBlocking(net::thread_pool& pool, F fn) {
    using R = std::invoke_result_t<F&>;
    co_return co_await net::co_spawn(
        pool.get_executor(), [&fn]() -> net::awaitable<R> { co_return fn(); },
        net::use_awaitable_t<Executor>{});
}

} // namespace faasd::gateway
