#include "etcd/parse.hpp"

#include <charconv>

namespace faasd::etcd {

Result<Endpoint> parseEndpoint(std::string_view url) {
    Endpoint ep;
    ep.url = std::string(url);
    std::string_view rest = url;
    if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else if (rest.starts_with("https://")) {
        rest.remove_prefix(8);
        ep.tls = true;
    } else {
        return fail(Code::InvalidArgument,
                    "etcd endpoint {}: not an http:// or https:// URL (http://host:port)", url);
    }
    if (rest.ends_with('/')) {
        rest.remove_suffix(1);
    }
    if (rest.find_first_of("/?#@") != std::string_view::npos) {
        return fail(Code::InvalidArgument, "etcd endpoint {}: only a host and a port are allowed",
                    url);
    }
    std::string_view host = rest;
    std::string_view port;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos || close == 1) {
            return fail(Code::InvalidArgument, "etcd endpoint {}: bad IPv6 address", url);
        }
        host = rest.substr(0, close + 1);
        auto after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after[0] != ':') {
                return fail(Code::InvalidArgument, "etcd endpoint {}: bad IPv6 address", url);
            }
            port = after.substr(1);
        }
    } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
        if (host.find(':') != std::string_view::npos) {
            return fail(Code::InvalidArgument,
                        "etcd endpoint {}: an IPv6 address goes in brackets ([::1]:2379)", url);
        }
    }
    if (host.empty()) {
        return fail(Code::InvalidArgument, "etcd endpoint {}: no host", url);
    }
    if (port.empty() && rest.ends_with(':')) {
        return fail(Code::InvalidArgument, "etcd endpoint {}: empty port", url);
    }
    if (port.empty()) {
        port = "2379";
    } else {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
            return fail(Code::InvalidArgument, "etcd endpoint {}: bad port {}", url, port);
        }
    }
    ep.target = fmt::format("{}:{}", host, port);
    return ep;
}

std::string prefixEnd(std::string_view prefix) {
    std::string end(prefix);
    while (!end.empty()) {
        auto& last = reinterpret_cast<unsigned char&>(end.back());
        if (last < 0xff) {
            ++last;
            return end;
        }
        end.pop_back();
    }
    return std::string(1, '\0');
}

std::string rangeStart(std::string_view prefix) {
    return prefix.empty() ? std::string(1, '\0') : std::string(prefix);
}

} // namespace faasd::etcd
