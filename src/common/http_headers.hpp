#pragma once

// HTTP field names every component treats alike.

#include <array>
#include <string_view>

namespace faasd {

// The hop-by-hop fields a proxy never forwards, either way: those RFC 9110
// 7.6.1 names (Connection and the fields it lists, Proxy-Connection,
// Keep-Alive, TE, Transfer-Encoding, Upgrade), plus Trailer and the proxy
// authentication pair, which speak to the next hop only (RFC 2616 13.5.1).
// The fields a Connection header names are hop-by-hop too; callers that
// forward check those against the message's Connection value.
// Content-Length is not here: it is framing, which each hop sets again.
inline constexpr std::array<std::string_view, 9> kHopByHopHeaders = {
    "Connection",
    "Keep-Alive",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Connection",
    "TE",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
};

// Whether name (any case) is one of kHopByHopHeaders.
bool isHopByHop(std::string_view name) noexcept;

} // namespace faasd
