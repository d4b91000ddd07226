#pragma once

// IPv4 addresses and prefixes as plain numbers in host byte order: what the
// route code of this component (blocked_routes, peer_routes) speaks, parsed
// from and formatted to the dotted text people write.

#include "common/error.hpp"

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

namespace faasd::network {

struct Ipv4Net {
    uint32_t address = 0; // host byte order, host bits cleared
    uint8_t bits = 32;
    bool contains(const Ipv4Net& other) const;
    std::string str() const;
    // By address, then prefix length.
    auto operator<=>(const Ipv4Net&) const = default;
    bool operator==(const Ipv4Net&) const = default;
};

// "a.b.c.d" (a /32) or "a.b.c.d/n"; InvalidArgument otherwise. Host bits
// are cleared: "10.1.2.3/16" is 10.1.0.0/16.
Result<Ipv4Net> parseIpv4Net(std::string_view text);

// "a.b.c.d" for an address in host byte order.
std::string ipv4String(uint32_t address);

// The netmask of a prefix length (0 to 32), host byte order.
uint32_t ipv4Mask(uint8_t bits);

} // namespace faasd::network
