// The watchdog's HTTP parsing: a request from a client (or, with the first
// byte's low bit set, an answer from the upstream of http mode) fed to
// HeadParser in pieces, as a session does; the body into a bounded output,
// re-framed as chunks when asked, which must decode back to the bytes the
// parser counted.
#include "input.hpp"
#include "watchdog/http_message.hpp"
#include "watchdog/http_parser.hpp"

#include <cstddef>
#include <cstdint>
#include <string>

namespace {

using namespace faasd::watchdog;

// Decodes what appendChunk() wrote; false when it is not a chunk sequence.
bool dechunk(std::string_view framed, std::string& out) {
    while (!framed.empty()) {
        size_t eol = framed.find("\r\n");
        if (eol == std::string_view::npos || eol == 0) {
            return false;
        }
        size_t n = 0;
        for (char c : framed.substr(0, eol)) {
            int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (digit < 0 || n > (SIZE_MAX >> 4)) {
                return false;
            }
            n = n * 16 + static_cast<size_t>(digit);
        }
        framed.remove_prefix(eol + 2);
        if (n == 0 || framed.size() < n + 2 || framed.substr(n, 2) != "\r\n") {
            return false;
        }
        out.append(framed.substr(0, n));
        framed.remove_prefix(n + 2);
    }
    return true;
}

// control: bit 1 re-frames the body as chunks, bits 2-7 the size of each
// read (0: all at once); limit: the body output's room, in 16-byte units.
template <bool isRequest> void run(uint8_t control, uint8_t limitUnits, std::string_view input) {
    const bool chunked = (control & 2) != 0;
    const size_t piece = control >> 2;
    const size_t limit = 1 + size_t{limitUnits} * 16;
    const uint32_t headerLimit = 8192;

    MessageHead head;
    HeadParser<isRequest> parser(head);
    parser.header_limit(headerLimit);
    parser.body_limit(1 << 20);
    std::string buffered; // read but not yet consumed, as a session's input buffer
    std::string out, body;
    size_t at = 0;
    bool headSeen = false;
    for (int rounds = 0; rounds < 100000 && !parser.is_done(); ++rounds) {
        if (at < input.size()) {
            const size_t n = piece == 0 ? input.size() - at : std::min(piece, input.size() - at);
            buffered.append(input.substr(at, n));
            at += n;
        } else if (buffered.empty()) {
            break;
        }
        if (headSeen) {
            parser.setOutput({&out, limit, chunked});
        }
        error_code ec;
        size_t used = parser.feed(buffered, ec);
        parser.setOutput({});
        buffered.erase(0, used);
        if (ec) {
            return;
        }
        if (!headSeen && parser.is_header_done()) {
            headSeen = true;
            (void)head.path();
            (void)head.query();
            (void)head.find("content-type");
            for (size_t i = 0; i < head.fieldCount(); ++i) {
                (void)isPerHop(head.field(i).name);
            }
            (void)reasonPhrase(head.status());
        }
        // The output drained, as a session writes it on.
        const bool full = out.size() >= limit;
        if (chunked) {
            if (!dechunk(out, body)) {
                __builtin_trap();
            }
        } else {
            body += out;
        }
        out.clear();
        if (used == 0 && !full && at == input.size()) {
            break;
        }
    }
    if (body.size() != parser.bodyBytes()) {
        __builtin_trap();
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    // Two control bytes, then the message; bit 0 of the first: an answer.
    if (size < 2) {
        return 0;
    }
    const std::string_view message = faasd::fuzz::asText(data + 2, size - 2);
    if ((data[0] & 1) != 0) {
        run<false>(data[0], data[1], message);
    } else {
        run<true>(data[0], data[1], message);
    }
    return 0;
}
