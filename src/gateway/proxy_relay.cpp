#include "common/http_headers.hpp"
#include "common/strings.hpp"
#include "gateway/logger.hpp"
#include "gateway/proxy.hpp"

#include <array>
#include <fmt/format.h>

// Streaming both ways: the caller's body to the replica, the replica's
// answer back to the caller, in fixed-size pieces.

namespace faasd::gateway {

using namespace std::string_view_literals;

namespace {

constexpr std::string_view kCrlf = "\r\n";
constexpr std::string_view kLastChunk = "0\r\n\r\n";

// Headers not copied back to the caller: hop-by-hop, framing (set again
// below), and the call's own, which the proxy sets.
bool skipResponseHeader(http::field code, std::string_view name) {
    switch (code) {
    case http::field::content_length:
        return true;
    case http::field::unknown:
        return isHopByHop(name) || isCallHeader(name);
    default:
        return isHopByHop(name);
    }
}

// One write's worth of buffers: [head] [chunk size line] [data] [CRLF]
// [last chunk]. Pieces are framed as chunks when `chunked`.
class Piece {
public:
    Piece(std::string_view head, bool chunked, const char* data, size_t size, bool last) {
        if (!head.empty()) {
            add(head);
        }
        if (chunked) {
            if (size != 0) {
                auto end = fmt::format_to_n(sizeLine_.data(), sizeLine_.size(), "{:x}\r\n", size);
                add({sizeLine_.data(), end.size});
                add({data, size});
                add(kCrlf);
            }
            if (last) {
                add(kLastChunk);
            }
        } else if (size != 0) {
            add({data, size});
        }
    }
    const std::array<net::const_buffer, 5>& buffers() const { return buffers_; }
    size_t size() const { return size_; }
    // Unused slots are empty buffers, which write nothing.

private:
    void add(std::string_view bytes) {
        buffers_[count_++] = net::buffer(bytes.data(), bytes.size());
        size_ += bytes.size();
    }

    std::array<char, 24> sizeLine_{};
    std::array<net::const_buffer, 5> buffers_{};
    size_t count_ = 0;
    size_t size_ = 0;
};

} // namespace

Task<Proxy::SendResult> Proxy::sendRequest(Exchange& ex, ProxyCall& call, Upstream& upstream,
                                           bool& bodyStarted) {
    beast::error_code ec;
    auto& body = *call.body;
    std::string_view head = call.requestHead;
    // Body bytes that came with the header leave with it, in one write;
    // when none are here yet the header goes first, so a streamed upload
    // reaches the replica as it arrives.
    if (ex.buffer.size() == 0) {
        const auto headBuffer = net::buffer(head.data(), head.size());
        const size_t done = writeNow(upstream.stream, headBuffer, ec);
        if (!ec && done < headBuffer.size()) {
            co_await writeRest(upstream.stream, ex.upstreamDeadline, call.upstreamTimeout,
                               headBuffer, done, ec);
        }
        if (ec) {
            kLog.debug("writing the request upstream: {}", ec.message());
            co_return SendResult::UpstreamFailed;
        }
        head = {};
    }
    auto& buf = upstream.chunk;
    while (!body.is_done()) {
        bodyStarted = true;
        body.get().body().data = buf.data();
        body.get().body().size = buf.size();
        ex.armClient();
        while (parseBuffered(ex.buffer, body, ec)) {
            size_t got = co_await ex.stream.async_read_some(prepareRead(ex.buffer), ecToken(ec));
            if (!commitRead(ex.buffer, body, got, ec)) {
                break;
            }
        }
        ex.clientDeadline.disarm();
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec == http::error::body_limit) {
            co_return SendResult::TooLarge;
        }
        if (ec) {
            co_return SendResult::ClientFailed;
        }
        const size_t n = buf.size() - body.get().body().size;
        const bool last = body.is_done();
        if (n == 0 && !last) {
            continue; // only framing so far (a chunk header)
        }
        Piece piece(head, call.chunked, buf.data(), n, last);
        const size_t done = writeNow(upstream.stream, piece.buffers(), ec);
        if (!ec && done < piece.size()) {
            co_await writeRest(upstream.stream, ex.upstreamDeadline, call.upstreamTimeout,
                               piece.buffers(), done, ec);
        }
        if (ec) {
            kLog.debug("writing the request body upstream: {}", ec.message());
            co_return SendResult::UpstreamFailed;
        }
        head = {};
    }
    co_return SendResult::Ok;
}

Task<bool> Proxy::relayResponse(Exchange& ex, ProxyCall& call, UpstreamPtr upstream,
                                bool keepAlive) {
    beast::error_code ec;
    auto& rp = *call.response;
    // The answer's head, written out directly: status and headers from the
    // replica (hop-by-hop dropped), the call's headers, our framing.
    const auto& upRes = rp.get();
    const unsigned status = upRes.result_int();
    std::string_view reason = sv(upRes.reason());
    if (reason.empty()) {
        reason = sv(http::obsolete_reason(static_cast<http::status>(status)));
    }
    std::string& head = call.responseHead;
    head.clear();
    head.append(ex.version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
    appendNumber(head, status);
    head.append(" "sv).append(reason).append("\r\n"sv);
    bool hasDuration = false;
    for (const auto& field : upRes) {
        const std::string_view name = sv(field.name_string());
        if (!skipResponseHeader(field.name(), name)) {
            hasDuration = hasDuration || (field.name() == http::field::unknown &&
                                          iequals(name, "X-Duration-Seconds"));
            appendField(head, name, sv(field.value()));
        }
    }
    appendCallFields(head, call);
    if (!hasDuration) {
        const auto took = std::chrono::duration_cast<std::chrono::nanoseconds>(
            std::chrono::steady_clock::now() - call.started);
        head.append("X-Duration-Seconds: "sv);
        appendSeconds(head, static_cast<uint64_t>(took.count()));
        head.append("\r\n"sv);
    }
    const bool bodyExpected = !rp.is_done();
    bool chunked = false;
    if (auto length = rp.content_length()) {
        head.append("Content-Length: "sv);
        appendNumber(head, *length);
        head.append("\r\n"sv);
    } else if (bodyExpected) {
        if (ex.version >= 11) {
            head += "Transfer-Encoding: chunked\r\n"sv;
            chunked = true;
        } else {
            keepAlive = false; // the end of the body is the end of the connection
        }
    }
    if (ex.version >= 11 && !keepAlive) {
        head += "Connection: close\r\n"sv;
    } else if (ex.version < 11 && keepAlive) {
        head += "Connection: keep-alive\r\n"sv;
    }
    head += kCrlf;
    call.status = status;

    // Body bytes that came with the head leave with it, in one write;
    // otherwise the head goes at once (a stream's first event may be far
    // off). Each later piece is relayed as soon as it is read.
    std::string_view pending = head;
    auto flushHead = [&]() -> Task<bool> {
        const auto headBuffer = net::buffer(pending.data(), pending.size());
        const size_t done = writeNow(ex.stream, headBuffer, ec);
        if (!ec && done < headBuffer.size()) {
            co_await writeRest(ex.stream, ex.clientDeadline, ex.config.clientTimeout, headBuffer,
                               done, ec);
        }
        pending = {};
        co_return !ec;
    };
    if (!bodyExpected || upstream->buffer.size() == 0) {
        if (!co_await flushHead()) {
            co_return false;
        }
    }
    auto& buf = upstream->chunk;
    while (!rp.is_done()) {
        rp.get().body().data = buf.data();
        rp.get().body().size = buf.size();
        ex.upstreamDeadline.arm(upstream->stream, call.upstreamTimeout);
        while (parseBuffered(upstream->buffer, rp, ec)) {
            size_t got = co_await upstream->stream.async_read_some(prepareRead(upstream->buffer),
                                                                   ecToken(ec));
            if (!commitRead(upstream->buffer, rp, got, ec)) {
                break;
            }
        }
        ex.upstreamDeadline.disarm();
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            co_return false; // cut short: the client sees the connection close
        }
        const size_t n = buf.size() - rp.get().body().size;
        const bool last = rp.is_done();
        if (n == 0 && !last) {
            // Only framing so far (a chunk header): the head waits no longer
            // for a body to join it.
            if (!pending.empty() && upstream->buffer.size() == 0 && !co_await flushHead()) {
                co_return false;
            }
            continue;
        }
        Piece piece(pending, chunked, buf.data(), n, last);
        const size_t done = writeNow(ex.stream, piece.buffers(), ec);
        if (!ec && done < piece.size()) {
            co_await writeRest(ex.stream, ex.clientDeadline, ex.config.clientTimeout,
                               piece.buffers(), done, ec);
        }
        if (ec) {
            co_return false;
        }
        pending = {};
    }
    if (!pending.empty() && !co_await flushHead()) {
        co_return false;
    }
    if (rp.keep_alive()) {
        pool_.release(call.endpoint, std::move(upstream));
    }
    co_return keepAlive;
}

} // namespace faasd::gateway
