#pragma once

// An HTTP/1.x parser (Boost.Beast's basic_parser) that stores the head in a
// MessageHead and appends body bytes to a caller's buffer, optionally
// re-framed as chunks, never more than the caller has room for. Nothing is
// allocated per message beyond the reused head arena.

#include "watchdog/http_message.hpp"

#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <cstdint>
#include <optional>
#include <string>

namespace faasd::watchdog {

namespace http = boost::beast::http;
using boost::system::error_code;

// "No limit" for body_limit(): Beast 1.74 treats boost::none as a limit
// every length exceeds.
constexpr uint64_t noBodyLimit = UINT64_MAX;

// Where body bytes go while the parser runs.
struct BodyOutput {
    std::string* buffer = nullptr; // appended to
    size_t limit = 0;              // while buffer->size() < limit
    bool chunked = false;          // wrap each piece as "<hex>\r\n...\r\n"
};

// Appends data to out as one HTTP chunk.
inline void appendChunk(std::string& out, std::string_view data) {
    if (data.empty()) {
        return; // an empty chunk would end the body
    }
    char hex[20];
    size_t n = 0;
    for (size_t v = data.size(); v > 0; v >>= 4) {
        hex[n++] = "0123456789abcdef"[v & 15];
    }
    while (n > 0) {
        out += hex[--n];
    }
    out += "\r\n";
    out.append(data);
    out += "\r\n";
}

template <bool isRequest> class HeadParser final : public http::basic_parser<isRequest> {
public:
    explicit HeadParser(MessageHead& head) : head_(head) { head_.clear(); }

    void setOutput(BodyOutput output) { output_ = output; }
    // Body bytes seen so far (before any re-framing).
    uint64_t bodyBytes() const { return bodyBytes_; }

    // Copies framing (length, chunked, keep-alive) into the head; call once
    // is_header_done().
    void captureFraming() {
        auto length = this->content_length();
        head_.contentLength = length ? std::optional<uint64_t>(*length) : std::nullopt;
        head_.chunked = this->chunked();
        head_.keepAlive = this->keep_alive();
    }

    // Parses as much of data as possible: stops when the message is done,
    // the head is complete (first call), more input is needed, or the body
    // output is full. Returns the bytes consumed; ec is set only for real
    // errors (need_more is not one).
    size_t feed(std::string_view data, error_code& ec) {
        size_t consumed = 0;
        bool headDoneBefore = this->is_header_done();
        while (!this->is_done()) {
            size_t n = this->put(boost::asio::const_buffer(data.data(), data.size()), ec);
            consumed += n;
            data.remove_prefix(n);
            if (ec == http::error::need_more) {
                ec = {};
                break;
            }
            if (ec) {
                break;
            }
            if (!headDoneBefore && this->is_header_done()) {
                captureFraming();
                break; // let the caller look at the head first
            }
            if (n == 0) {
                break; // output full or no input
            }
        }
        return consumed;
    }

private:
    size_t take(std::string_view body) {
        if (!output_.buffer || output_.buffer->size() >= output_.limit) {
            return 0;
        }
        size_t room = output_.limit - output_.buffer->size();
        size_t n = body.size() < room ? body.size() : room;
        if (n == 0) {
            return 0;
        }
        std::string_view piece(body.data(), n);
        if (output_.chunked) {
            appendChunk(*output_.buffer, piece);
        } else {
            output_.buffer->append(piece);
        }
        bodyBytes_ += n;
        return n;
    }

    void on_request_impl(http::verb, boost::beast::string_view method,
                         boost::beast::string_view target, int version, error_code&) override {
        head_.setRequestLine({method.data(), method.size()}, {target.data(), target.size()},
                             version);
    }
    void on_response_impl(int status, boost::beast::string_view, int version,
                          error_code&) override {
        head_.setStatusLine(status, version);
    }
    void on_field_impl(http::field, boost::beast::string_view name, boost::beast::string_view value,
                       error_code&) override {
        head_.addField({name.data(), name.size()}, {value.data(), value.size()});
    }
    void on_header_impl(error_code&) override {}
    void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
    size_t on_body_impl(boost::beast::string_view body, error_code&) override {
        return take({body.data(), body.size()});
    }
    void on_chunk_header_impl(std::uint64_t, boost::beast::string_view, error_code&) override {}
    size_t on_chunk_body_impl(std::uint64_t, boost::beast::string_view body, error_code&) override {
        return take({body.data(), body.size()});
    }
    void on_finish_impl(error_code&) override {}

    MessageHead& head_;
    BodyOutput output_;
    uint64_t bodyBytes_ = 0;
};

using RequestParser = HeadParser<true>;
using ResponseParser = HeadParser<false>;

} // namespace faasd::watchdog
