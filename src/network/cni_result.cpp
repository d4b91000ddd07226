#include "network/cni_result.hpp"

#include <arpa/inet.h>
#include <charconv>

namespace faasd::network {

using nlohmann::json;

namespace {

// An optional string member: absent or null is "", any other type an error.
Result<std::string> optString(const json& obj, const char* key, std::string_view where) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        return std::string();
    }
    if (!it->is_string()) {
        return fail(Code::InvalidArgument, "{}: \"{}\" is not a string", where, key);
    }
    return it->get<std::string>();
}

Result<std::vector<std::string>> optStrings(const json& obj, const char* key,
                                            std::string_view where) {
    std::vector<std::string> out;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        return out;
    }
    if (!it->is_array()) {
        return fail(Code::InvalidArgument, "{}: \"{}\" is not a list", where, key);
    }
    for (const auto& v : *it) {
        if (!v.is_string()) {
            return fail(Code::InvalidArgument, "{}: \"{}\" holds a non-string", where, key);
        }
        out.push_back(v.get<std::string>());
    }
    return out;
}

// The array member key, or an empty array when absent or null.
Result<json> optArray(const json& obj, const char* key) {
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) {
        return json::array();
    }
    if (!it->is_array()) {
        return fail(Code::InvalidArgument, "\"{}\" is not a list", key);
    }
    return *it;
}

bool isIpv4(const std::string& address) {
    in_addr out{};
    return ::inet_pton(AF_INET, address.c_str(), &out) == 1;
}

} // namespace

Result<std::pair<std::string, int>> splitCidr(const std::string& cidr) {
    auto slash = cidr.find('/');
    if (slash == std::string::npos) {
        return fail(Code::InvalidArgument, "address {} has no prefix length", cidr);
    }
    std::string addr = cidr.substr(0, slash);
    int prefix = -1;
    const char* first = cidr.data() + slash + 1;
    const char* last = cidr.data() + cidr.size();
    auto [end, ec] = std::from_chars(first, last, prefix);
    unsigned char buf[sizeof(in6_addr)];
    int family = isIpv4(addr) ? AF_INET : AF_INET6;
    int maxPrefix = family == AF_INET ? 32 : 128;
    if (ec != std::errc() || end != last || first == last || prefix < 0 || prefix > maxPrefix ||
        ::inet_pton(family, addr.c_str(), buf) != 1) {
        return fail(Code::InvalidArgument, "invalid address {}", cidr);
    }
    return std::make_pair(addr, prefix);
}

Result<CniResult> parseCniResult(const json& in) {
    if (!in.is_object()) {
        return fail(Code::InvalidArgument, "CNI result is not a JSON object");
    }
    CniResult out;
    TRY_ASSIGN(out.cniVersion, optString(in, "cniVersion", "CNI result"));
    if (in.contains("ip4") || in.contains("ip6") || out.cniVersion.starts_with("0.1.") ||
        out.cniVersion.starts_with("0.2.")) {
        return fail(Code::Unimplemented, "CNI result version {} is not supported (0.3.0 or later)",
                    out.cniVersion.empty() ? "0.2.0" : out.cniVersion);
    }

    TRY_ASSIGN(auto interfaces, optArray(in, "interfaces"));
    for (const auto& i : interfaces) {
        if (!i.is_object()) {
            return fail(Code::InvalidArgument, "CNI result: an interface is not an object");
        }
        CniInterface iface;
        TRY_ASSIGN(iface.name, optString(i, "name", "CNI result interface"));
        TRY_ASSIGN(iface.mac, optString(i, "mac", "CNI result interface"));
        TRY_ASSIGN(iface.sandbox, optString(i, "sandbox", "CNI result interface"));
        out.interfaces.push_back(std::move(iface));
    }

    TRY_ASSIGN(auto ips, optArray(in, "ips"));
    for (const auto& i : ips) {
        if (!i.is_object()) {
            return fail(Code::InvalidArgument, "CNI result: an IP is not an object");
        }
        CniIp ip;
        TRY_ASSIGN(ip.address, optString(i, "address", "CNI result IP"));
        TRY(withContext(splitCidr(ip.address), "CNI result IP"));
        TRY_ASSIGN(ip.gateway, optString(i, "gateway", "CNI result IP"));
        auto index = i.find("interface");
        if (index != i.end() && !index->is_null()) {
            if (!index->is_number_unsigned() && !index->is_number_integer()) {
                return fail(Code::InvalidArgument, "CNI result IP: \"interface\" is not a number");
            }
            auto n = index->get<long long>();
            if (n < 0 || static_cast<size_t>(n) >= out.interfaces.size()) {
                return fail(Code::InvalidArgument,
                            "CNI result IP {}: interface index {} is out of range", ip.address, n);
            }
            ip.interface = static_cast<size_t>(n);
        }
        out.ips.push_back(std::move(ip));
    }

    TRY_ASSIGN(auto routes, optArray(in, "routes"));
    for (const auto& r : routes) {
        if (!r.is_object()) {
            return fail(Code::InvalidArgument, "CNI result: a route is not an object");
        }
        CniRoute route;
        TRY_ASSIGN(route.dst, optString(r, "dst", "CNI result route"));
        TRY_ASSIGN(route.gw, optString(r, "gw", "CNI result route"));
        out.routes.push_back(std::move(route));
    }

    auto dns = in.find("dns");
    if (dns != in.end() && !dns->is_null()) {
        if (!dns->is_object()) {
            return fail(Code::InvalidArgument, "CNI result: \"dns\" is not an object");
        }
        TRY_ASSIGN(out.dns.nameservers, optStrings(*dns, "nameservers", "CNI result dns"));
        TRY_ASSIGN(out.dns.domain, optString(*dns, "domain", "CNI result dns"));
        TRY_ASSIGN(out.dns.search, optStrings(*dns, "search", "CNI result dns"));
        TRY_ASSIGN(out.dns.options, optStrings(*dns, "options", "CNI result dns"));
    }
    return out;
}

Result<AttachResult> makeAttachResult(const std::string& id, const std::string& netns,
                                      const std::string& ifName, const json& result) {
    TRY_ASSIGN(auto cni, parseCniResult(result));
    const CniIp* chosen = nullptr;
    for (const auto& ip : cni.ips) {
        if (!ip.interface || !isIpv4(splitCidr(ip.address)->first)) {
            continue;
        }
        const auto& iface = cni.interfaces[*ip.interface];
        if (iface.name == ifName && !iface.sandbox.empty()) {
            chosen = &ip;
            break;
        }
    }
    for (size_t i = 0; chosen == nullptr && i < cni.ips.size(); ++i) {
        if (isIpv4(splitCidr(cni.ips[i].address)->first)) {
            chosen = &cni.ips[i];
        }
    }
    if (chosen == nullptr) {
        return fail(Code::Internal, "the CNI result has no IPv4 address for {}", ifName);
    }
    auto [addr, prefix] = *splitCidr(chosen->address);
    std::string gateway = chosen->gateway;
    return AttachResult{
        .id = id,
        .netns = netns,
        .ifName = ifName,
        .ip = std::move(addr),
        .prefixLength = prefix,
        .gateway = std::move(gateway),
        .cni = std::move(cni),
        .raw = result,
    };
}

} // namespace faasd::network
