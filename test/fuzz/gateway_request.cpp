// The gateway's request reading: the header parser a connection starts
// with (fields in the connection's arena, the header limit), the read loop
// of exchange.hpp fed in reads of the size the first byte gives, then the
// body as the system handlers read it (whole, string_body) or as the
// invoke proxy relays it (buffer_body, chunked or not), and the query.
#include "gateway/exchange.hpp"
#include "gateway/http_types.hpp"
#include "input.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

namespace {

using namespace faasd::gateway;

constexpr uint32_t kHeaderLimit = 64 * 1024; // as the server's sessions
constexpr uint64_t kBodyLimit = 1 << 20;

// The client's bytes, handed out in reads of one size (0: all at once).
struct Reads {
    size_t piece;
    std::string_view rest;
    size_t at = 0;

    // Copies the next read into buffer; 0 with ec = eof at the end.
    size_t next(beast::flat_buffer& buffer, beast::error_code& ec) {
        if (at == rest.size()) {
            ec = net::error::eof;
            return 0;
        }
        const size_t n = piece == 0 ? rest.size() - at : std::min(piece, rest.size() - at);
        auto space = buffer.prepare(n);
        std::memcpy(space.data(), rest.data() + at, n);
        at += n;
        return n;
    }
};

template <bool isRequest>
void readLoop(Reads& reads, beast::flat_buffer& buffer, http::basic_parser<isRequest>& parser,
              beast::error_code& ec) {
    while (parseBuffered(buffer, parser, ec)) {
        size_t n = reads.next(buffer, ec);
        if (!commitRead(buffer, parser, n, ec)) {
            break;
        }
    }
}

void readWhole(Reads& reads, beast::flat_buffer& buffer, RequestParser<http::empty_body>&& head) {
    RequestParser<http::string_body> full{std::move(head)};
    full.body_limit(kBodyLimit);
    beast::error_code ec;
    while (!full.is_done()) {
        readLoop(reads, buffer, full, ec);
        if (ec) {
            return;
        }
    }
    if (full.get().body().size() > kBodyLimit) {
        __builtin_trap();
    }
}

void relay(Reads& reads, beast::flat_buffer& buffer, RequestParser<http::empty_body>&& head) {
    RequestParser<http::buffer_body> body{std::move(head)};
    body.body_limit(kBodyLimit);
    std::array<char, 512> chunk;
    uint64_t total = 0;
    beast::error_code ec;
    while (!body.is_done()) {
        body.get().body().data = chunk.data();
        body.get().body().size = chunk.size();
        readLoop(reads, buffer, body, ec);
        if (ec == http::error::need_buffer) {
            ec = {};
        }
        if (ec) {
            return;
        }
        total += chunk.size() - body.get().body().size;
        if (total > kBodyLimit) {
            __builtin_trap();
        }
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // The first byte: bit 0 reads the body whole, as the system handlers
    // do, rather than relaying it; the others the size of each read.
    if (size == 0) {
        return 0;
    }
    const bool whole = (data[0] & 1) != 0;
    Reads reads{static_cast<size_t>(data[0] >> 1), faasd::fuzz::asText(data + 1, size - 1)};

    FieldArena arena;
    beast::flat_buffer buffer;
    beast::error_code ec;
    {
        RequestParser<http::empty_body> parser(std::piecewise_construct, std::make_tuple(),
                                               std::make_tuple(arena.allocator()));
        parser.header_limit(kHeaderLimit);
        parser.body_limit(kBodyLimit);
        readLoop(reads, buffer, parser, ec);
        if (ec || !parser.is_header_done()) {
            return 0;
        }
        const auto& req = parser.get();
        const std::string_view target = sv(req.target());
        const size_t q = target.find('?');
        if (q != std::string_view::npos) {
            (void)parseQuery(target.substr(q + 1));
        }
        Request request;
        for (const auto& field : req) {
            request.headers.emplace_back(std::string(field.name_string()),
                                         std::string(field.value()));
        }
        (void)request.header("content-type");
        (void)req.keep_alive();
        (void)parser.content_length();
        if (!parser.is_done()) {
            if (whole) {
                readWhole(reads, buffer, std::move(parser));
            } else {
                relay(reads, buffer, std::move(parser));
            }
        }
    }
    arena.reset();
    return 0;
}
