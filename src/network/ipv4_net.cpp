#include "network/ipv4_net.hpp"

#include <charconv>

namespace faasd::network {

uint32_t ipv4Mask(uint8_t bits) {
    return bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
}

std::string ipv4String(uint32_t address) {
    return fmt::format("{}.{}.{}.{}", address >> 24, (address >> 16) & 0xff, (address >> 8) & 0xff,
                       address & 0xff);
}

bool Ipv4Net::contains(const Ipv4Net& other) const {
    return other.bits >= bits && (other.address & ipv4Mask(bits)) == address;
}

std::string Ipv4Net::str() const {
    return fmt::format("{}/{}", ipv4String(address), bits);
}

Result<Ipv4Net> parseIpv4Net(std::string_view text) {
    auto bad = [&] {
        return fail(Code::InvalidArgument, "\"{}\" is not an IPv4 address or CIDR", text);
    };
    auto slash = text.find('/');
    std::string_view addr = text.substr(0, slash);
    Ipv4Net out;
    if (slash != std::string_view::npos) {
        auto bits = text.substr(slash + 1);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), value);
        if (bits.empty() || ec != std::errc() || end != bits.data() + bits.size() || value > 32) {
            return bad();
        }
        out.bits = static_cast<uint8_t>(value);
    }
    uint32_t address = 0;
    for (int octet = 0; octet < 4; ++octet) {
        auto dot = addr.find('.');
        auto part = addr.substr(0, dot);
        unsigned value = 0;
        auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
        if (part.empty() || part.size() > 3 || ec != std::errc() ||
            end != part.data() + part.size() || value > 255 ||
            (octet < 3) == (dot == std::string_view::npos)) {
            return bad();
        }
        address = (address << 8) | value;
        addr = dot == std::string_view::npos ? std::string_view() : addr.substr(dot + 1);
    }
    out.address = address & ipv4Mask(out.bits);
    return out;
}

} // namespace faasd::network
