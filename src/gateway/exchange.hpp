#pragma once

// The Beast side of one request: the client stream, its read buffer and the
// header-only parser the server read. Shared by the server, the invoke
// proxy and log streaming; nothing else includes Beast.

#include "gateway/gateway.hpp"
#include "gateway/http_types.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <string>
#include <type_traits>

namespace faasd::gateway {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

inline std::string_view sv(beast::string_view s) {
    return {s.data(), s.size()};
}

// Completion token that reports errors in ec instead of throwing.
inline auto ecToken(beast::error_code& ec) {
    return net::redirect_error(net::use_awaitable, ec);
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
    tcp::socket* socket = nullptr;
    bool expired = false;

    void arm(tcp::socket& s, std::chrono::milliseconds timeout) {
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

struct Exchange {
    beast::tcp_stream& stream;
    beast::flat_buffer& buffer;
    http::request_parser<http::empty_body>& parser; // the header has been read
    const std::string& remoteAddress;
    const GatewayConfig& config;
    unsigned version;           // the client's HTTP version: 10 or 11
    Deadline& clientDeadline;   // for every read and write on stream
    Deadline& upstreamDeadline; // for the replica's connection, on the invoke path

    // The client timeout, for the next read or write on stream.
    void armClient() { clientDeadline.arm(stream.socket(), config.clientTimeout); }
};

// Writes a buffered response; returns whether the connection stays open.
net::awaitable<bool> writeResponse(Exchange& ex, Response response, bool keepAlive);

// Answers "Expect: 100-continue" before the body is read; false on a write error.
net::awaitable<bool> sendContinueIfExpected(Exchange& ex);

// Runs fn on the blocking pool and resumes on the caller's executor.
template <typename F>
net::awaitable<std::invoke_result_t<F&>> runBlocking(net::thread_pool& pool, F fn) {
    using R = std::invoke_result_t<F&>;
    co_return co_await net::co_spawn(
        pool.get_executor(), [&fn]() -> net::awaitable<R> { co_return fn(); }, net::use_awaitable);
}

} // namespace faasd::gateway
