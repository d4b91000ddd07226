#include "common/log.hpp"
#include "gateway/proxy.hpp"

#include <array>
#include <fmt/format.h>

// Streaming both ways: the caller's body to the replica, the replica's
// answer back to the caller, in fixed-size pieces.

namespace faasd::gateway {

namespace {

const Logger kLog("gateway");
constexpr size_t kChunk = 16 * 1024;

bool skipResponseHeader(std::string_view name) {
    return isHopByHopHeader(name) || equalsIgnoreCase(name, "Content-Length");
}

} // namespace

net::awaitable<Proxy::SendResult> Proxy::sendRequest(Exchange& ex, const Call& call,
                                                     Upstream& upstream,
                                                     http::request<http::buffer_body>& request,
                                                     http::request_parser<http::buffer_body>& body,
                                                     bool hasBody, bool& bodyStarted) {
    const auto& config = *services_.config;
    beast::error_code ec;
    http::request_serializer<http::buffer_body> sr{request};
    request.body().data = nullptr;
    request.body().size = 0;
    request.body().more = hasBody;
    upstream.stream.expires_after(call.upstreamTimeout);
    if (!hasBody) {
        co_await http::async_write(upstream.stream, sr, ecToken(ec));
        if (ec) {
            kLog.debug("writing the request upstream: {}", ec.message());
            co_return SendResult::UpstreamFailed;
        }
        co_return SendResult::Ok;
    }
    // Body bytes that came with the header leave with it, in one write;
    // when none are here yet the header goes first, so a streamed upload
    // reaches the replica as it arrives.
    if (ex.buffer.size() == 0) {
        co_await http::async_write_header(upstream.stream, sr, ecToken(ec));
        if (ec) {
            kLog.debug("writing the request header upstream: {}", ec.message());
            co_return SendResult::UpstreamFailed;
        }
    }
    std::array<char, kChunk> buf;
    while (!body.is_done()) {
        bodyStarted = true;
        body.get().body().data = buf.data();
        body.get().body().size = buf.size();
        ex.stream.expires_after(config.clientTimeout);
        co_await http::async_read_some(ex.stream, ex.buffer, body, ecToken(ec));
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec == http::error::body_limit) {
            co_return SendResult::TooLarge;
        }
        if (ec) {
            co_return SendResult::ClientFailed;
        }
        request.body().data = buf.data();
        request.body().size = buf.size() - body.get().body().size;
        request.body().more = !body.is_done();
        if (request.body().size == 0 && !body.is_done()) {
            continue; // only framing so far (a chunk header): an empty chunk would end the body
        }
        upstream.stream.expires_after(call.upstreamTimeout);
        co_await http::async_write(upstream.stream, sr, ecToken(ec));
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            kLog.debug("writing the request body upstream: {}", ec.message());
            co_return SendResult::UpstreamFailed;
        }
    }
    if (!sr.is_done()) {
        request.body().data = nullptr;
        request.body().size = 0;
        request.body().more = false;
        co_await http::async_write(upstream.stream, sr, ecToken(ec));
        if (ec && ec != http::error::need_buffer) {
            kLog.debug("finishing the request upstream: {}", ec.message());
            co_return SendResult::UpstreamFailed;
        }
    }
    co_return SendResult::Ok;
}

net::awaitable<bool> Proxy::relayResponse(Exchange& ex, Call& call,
                                          const provider::Endpoint& endpoint, UpstreamPtr upstream,
                                          http::response_parser<http::buffer_body>& rp,
                                          bool keepAlive,
                                          std::chrono::steady_clock::time_point started) {
    const auto& config = *services_.config;
    beast::error_code ec;
    // The answer: status and headers, then the body streamed back.
    const auto& upRes = rp.get();
    http::response<http::buffer_body> res;
    res.version(ex.version);
    res.result(upRes.result_int());
    for (const auto& field : upRes) {
        if (!skipResponseHeader(sv(field.name_string()))) {
            res.insert(field.name_string(), field.value());
        }
    }
    res.set("X-Call-Id", call.callId);
    res.set("X-Start-Time", call.startTime);
    if (upRes.find("X-Duration-Seconds") == upRes.end()) {
        std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
        res.set("X-Duration-Seconds", fmt::format("{:.6f}", took.count()));
    }
    const bool bodyExpected = !rp.is_done();
    if (auto length = rp.content_length()) {
        res.content_length(*length);
    } else if (bodyExpected) {
        if (ex.version >= 11) {
            res.chunked(true);
        } else {
            keepAlive = false; // the end of the body is the end of the connection
        }
    }
    res.keep_alive(keepAlive);
    call.status = upRes.result_int();

    http::response_serializer<http::buffer_body> sr{res};
    res.body().data = nullptr;
    res.body().size = 0;
    res.body().more = bodyExpected;
    ex.stream.expires_after(config.clientTimeout);
    // Body bytes that came with the header leave with it, in one write;
    // otherwise the header goes at once (a stream's first event may be far
    // off). Each later piece is relayed as soon as it is read.
    if (!bodyExpected) {
        co_await http::async_write(ex.stream, sr, ecToken(ec));
        if (ec) {
            co_return false;
        }
    } else if (upstream->buffer.size() == 0) {
        co_await http::async_write_header(ex.stream, sr, ecToken(ec));
        if (ec) {
            co_return false;
        }
    }
    std::array<char, kChunk> buf;
    while (!rp.is_done()) {
        rp.get().body().data = buf.data();
        rp.get().body().size = buf.size();
        upstream->stream.expires_after(call.upstreamTimeout);
        co_await http::async_read_some(upstream->stream, upstream->buffer, rp, ecToken(ec));
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            co_return false; // cut short: the client sees the connection close
        }
        res.body().data = buf.data();
        res.body().size = buf.size() - rp.get().body().size;
        res.body().more = !rp.is_done();
        if (res.body().size == 0 && !rp.is_done()) {
            // Only framing so far (a chunk header): an empty chunk would end
            // the body. The header waits no longer for a body to join it.
            if (!sr.is_header_done() && upstream->buffer.size() == 0) {
                co_await http::async_write_header(ex.stream, sr, ecToken(ec));
                if (ec) {
                    co_return false;
                }
            }
            continue;
        }
        ex.stream.expires_after(config.clientTimeout);
        co_await http::async_write(ex.stream, sr, ecToken(ec));
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            co_return false;
        }
    }
    if (!sr.is_done()) {
        res.body().data = nullptr;
        res.body().size = 0;
        res.body().more = false;
        co_await http::async_write(ex.stream, sr, ecToken(ec));
        if (ec && ec != http::error::need_buffer) {
            co_return false;
        }
    }
    if (rp.keep_alive()) {
        pool_.release(endpoint, std::move(upstream));
    }
    co_return keepAlive;
}

} // namespace faasd::gateway
