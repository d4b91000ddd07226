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

struct Exchange {
    beast::tcp_stream& stream;
    beast::flat_buffer& buffer;
    http::request_parser<http::empty_body>& parser; // the header has been read
    const std::string& remoteAddress;
    const GatewayConfig& config;
    unsigned version; // the client's HTTP version: 10 or 11
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
