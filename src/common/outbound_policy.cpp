#include "common/outbound_policy.hpp"

#include "common/strings.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <charconv>
#include <cstring>
#include <ifaddrs.h>
#include <netdb.h>
#include <netinet/in.h>
#include <optional>
#include <sys/socket.h>

namespace faasd {

namespace {

struct Address {
    bool v6 = false;
    std::array<uint8_t, 16> bytes{}; // IPv4 in the first 4
};

std::optional<Address> parseAddress(std::string_view text) {
    std::string s(text);
    Address a;
    if (inet_pton(AF_INET, s.c_str(), a.bytes.data()) == 1) {
        return a;
    }
    if (inet_pton(AF_INET6, s.c_str(), a.bytes.data()) == 1) {
        a.v6 = true;
        return a;
    }
    return std::nullopt;
}

// ::ffff:a.b.c.d is a.b.c.d.
Address unmapped(Address a) {
    static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    if (a.v6 && std::memcmp(a.bytes.data(), kMapped, 12) == 0) {
        Address v4;
        std::copy(a.bytes.begin() + 12, a.bytes.end(), v4.bytes.begin());
        return v4;
    }
    return a;
}

std::string format(const Address& a) {
    char buf[INET6_ADDRSTRLEN] = {};
    inet_ntop(a.v6 ? AF_INET6 : AF_INET, a.bytes.data(), buf, sizeof buf);
    return buf;
}

// Why an address may not be called, or "" when it may.
std::string_view forbidden(const Address& a) {
    const auto& b = a.bytes;
    if (!a.v6) {
        if (b[0] == 127) {
            return "a loopback address";
        }
        if (b[0] == 169 && b[1] == 254) {
            return "a link-local address";
        }
        if (b[0] == 0) {
            return "an unspecified address";
        }
        return {};
    }
    static constexpr std::array<uint8_t, 16> kLoopback = {0, 0, 0, 0, 0, 0, 0, 0,
                                                          0, 0, 0, 0, 0, 0, 0, 1};
    if (b == kLoopback) {
        return "a loopback address";
    }
    if (b[0] == 0xfe && (b[1] & 0xc0) == 0x80) {
        return "a link-local address";
    }
    if (b == std::array<uint8_t, 16>{}) {
        return "an unspecified address";
    }
    return {};
}

// The addresses of this machine's interfaces.
std::vector<Address> ownAddresses() {
    std::vector<Address> out;
    struct ifaddrs* list = nullptr;
    if (getifaddrs(&list) != 0) {
        return out;
    }
    for (auto* i = list; i != nullptr; i = i->ifa_next) {
        if (i->ifa_addr == nullptr) {
            continue;
        }
        Address a;
        if (i->ifa_addr->sa_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(i->ifa_addr);
            std::memcpy(a.bytes.data(), &in->sin_addr, 4);
        } else if (i->ifa_addr->sa_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(i->ifa_addr);
            std::memcpy(a.bytes.data(), &in6->sin6_addr, 16);
            a.v6 = true;
        } else {
            continue;
        }
        out.push_back(a);
    }
    freeifaddrs(list);
    return out;
}

// The host of an http(s) URL: no user info, no port, no brackets.
Result<std::string> urlHost(std::string_view url) {
    std::string_view rest;
    if (istartsWith(url, "http://")) {
        rest = url.substr(7);
    } else if (istartsWith(url, "https://")) {
        rest = url.substr(8);
    } else {
        return fail(Code::InvalidArgument, "{} is not an http(s) URL", url);
    }
    rest = rest.substr(0, rest.find_first_of("/?#"));
    if (auto at = rest.rfind('@'); at != std::string_view::npos) {
        rest = rest.substr(at + 1);
    }
    std::string_view host = rest;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return fail(Code::InvalidArgument, "{}: unclosed '[' in the host", url);
        }
        host = rest.substr(1, close - 1);
    } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
    }
    if (host.empty()) {
        return fail(Code::InvalidArgument, "{}: no host", url);
    }
    return asciiLower(host);
}

} // namespace

bool OutboundPolicy::Cidr::contains(bool family6, const std::array<uint8_t, 16>& address) const {
    if (family6 != v6) {
        return false;
    }
    unsigned full = prefix / 8;
    if (!std::equal(bytes.begin(), bytes.begin() + full, address.begin())) {
        return false;
    }
    unsigned bits = prefix % 8;
    if (bits == 0) {
        return true;
    }
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - bits));
    return (bytes[full] & mask) == (address[full] & mask);
}

Result<OutboundPolicy> OutboundPolicy::restrictive(std::string_view allowList) {
    OutboundPolicy p;
    p.restricts_ = true;
    for (auto entry : splitOn(allowList, ',')) {
        entry = trimBlank(entry);
        if (entry.empty()) {
            continue;
        }
        auto slash = entry.find('/');
        auto address = parseAddress(entry.substr(0, slash));
        if (!address) {
            if (slash != std::string_view::npos ||
                entry.find_first_of(" :[]@") != std::string_view::npos) {
                return fail(Code::InvalidArgument,
                            "\"{}\" is not a CIDR, an address or a host name", entry);
            }
            p.hosts_.push_back(asciiLower(entry));
            continue;
        }
        Cidr cidr{.v6 = address->v6, .bytes = address->bytes, .prefix = address->v6 ? 128u : 32u};
        if (slash != std::string_view::npos) {
            auto bits = entry.substr(slash + 1);
            unsigned prefix = 0;
            auto [end, ec] = std::from_chars(bits.data(), bits.data() + bits.size(), prefix);
            if (ec != std::errc() || end != bits.data() + bits.size() || prefix > cidr.prefix) {
                return fail(Code::InvalidArgument, "\"{}\": the prefix length must be 0 to {}",
                            entry, cidr.prefix);
            }
            cidr.prefix = prefix;
        }
        p.allowed_.push_back(cidr);
    }
    return p;
}

Result<void> OutboundPolicy::check(std::string_view url) const {
    TRY_ASSIGN(auto host, urlHost(url));
    if (!restricts_ || std::find(hosts_.begin(), hosts_.end(), host) != hosts_.end()) {
        return {};
    }
    std::vector<Address> addresses;
    if (auto literal = parseAddress(host)) {
        addresses.push_back(*literal);
    } else {
        struct addrinfo hints {};
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM;
        struct addrinfo* found = nullptr;
        if (int rc = getaddrinfo(host.c_str(), nullptr, &hints, &found); rc != 0) {
            return fail(Code::InvalidArgument, "{} does not resolve: {}", host, gai_strerror(rc));
        }
        for (auto* i = found; i != nullptr; i = i->ai_next) {
            Address a;
            if (i->ai_family == AF_INET) {
                std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in*>(i->ai_addr)->sin_addr,
                            4);
            } else if (i->ai_family == AF_INET6) {
                std::memcpy(a.bytes.data(), &reinterpret_cast<sockaddr_in6*>(i->ai_addr)->sin6_addr,
                            16);
                a.v6 = true;
            } else {
                continue;
            }
            addresses.push_back(a);
        }
        freeaddrinfo(found);
    }
    std::vector<Address> own;
    bool ownRead = false;
    for (auto a : addresses) {
        a = unmapped(a);
        if (std::any_of(allowed_.begin(), allowed_.end(),
                        [&](const Cidr& c) { return c.contains(a.v6, a.bytes); })) {
            continue;
        }
        std::string_view why = forbidden(a);
        if (why.empty()) {
            if (!ownRead) {
                own = ownAddresses();
                ownRead = true;
            }
            if (std::any_of(own.begin(), own.end(),
                            [&](const Address& o) { return o.v6 == a.v6 && o.bytes == a.bytes; })) {
                why = "an address of this machine";
            }
        }
        if (!why.empty()) {
            return fail(Code::InvalidArgument, "{}{} is {} (allow it in FAASD_CALLBACK_ALLOW)",
                        host == format(a) ? "" : host + ": ", format(a), why);
        }
    }
    return {};
}

} // namespace faasd
