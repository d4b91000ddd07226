#pragma once

// HMAC-SHA256 as the function builder API signs its requests: faas-cli
// sends `X-Build-Signature: sha256=<hex>` over the whole body, keyed with
// the payload secret with surrounding whitespace removed.

#include <string>
#include <string_view>

namespace faasd {

// HMAC-SHA256 of message under key, as 64 lowercase hex digits.
std::string hmacSha256Hex(std::string_view key, std::string_view message);

// Whether a and b hold the same bytes, in time that depends only on their
// lengths (never on where they first differ).
bool constantTimeEquals(std::string_view a, std::string_view b);

// The secret as a key: without the whitespace (spaces, tabs, newlines)
// around it, as faas-cli reads --payload-secret.
std::string_view trimSecret(std::string_view secret);

// Whether header is "sha256=<hex HMAC-SHA256 of body under key>". The hex
// may be upper or lower case; the comparison takes constant time.
bool verifySha256Signature(std::string_view key, std::string_view body, std::string_view header);

} // namespace faasd
