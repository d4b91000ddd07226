#include "network/blocked_routes.hpp"

#include "common/unique_fd.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace faasd::network {

namespace {

uint32_t maskOf(uint8_t bits) {
    return bits == 0 ? 0 : ~uint32_t{0} << (32 - bits);
}

// A netlink socket that lives in the namespace at path: made by a thread
// that enters it and exits right after, so no thread of ours stays there.
Result<UniqueFd> routeSocketIn(const std::filesystem::path& path) {
    UniqueFd ns(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
        return fail(systemError(fmt::format("opening netns {}", path.string()), errno));
    }
    int err = 0;
    const char* step = "";
    int sock = -1;
    auto enter = [&] {
        if (::setns(ns.get(), CLONE_NEWNET) != 0) {
            err = errno;
            step = "setns";
            return;
        }
        sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (sock < 0) {
            err = errno;
            step = "a netlink socket";
        }
    };
    try {
        std::thread(enter).join();
    } catch (const std::system_error& e) {
        err = e.code().value();
        step = "starting a thread";
    }
    if (err != 0) {
        return fail(systemError(fmt::format("netns {}: {}", path.string(), step), err));
    }
    UniqueFd out(sock);
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    ::setsockopt(out.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    return out;
}

Result<void> addRoute(int sock, const Ipv4Net& net, uint32_t seq) {
    struct Request {
        nlmsghdr header;
        rtmsg route;
        alignas(NLMSG_ALIGNTO) unsigned char attrs[RTA_SPACE(sizeof(uint32_t))];
    } req{};
    req.header.nlmsg_len = NLMSG_LENGTH(sizeof(rtmsg)) + RTA_SPACE(sizeof(uint32_t));
    req.header.nlmsg_type = RTM_NEWROUTE;
    req.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE;
    req.header.nlmsg_seq = seq;
    req.route.rtm_family = AF_INET;
    req.route.rtm_dst_len = net.bits;
    req.route.rtm_table = RT_TABLE_MAIN;
    req.route.rtm_protocol = RTPROT_STATIC;
    req.route.rtm_scope = RT_SCOPE_UNIVERSE;
    req.route.rtm_type = RTN_PROHIBIT;
    auto* attr = reinterpret_cast<rtattr*>(req.attrs);
    attr->rta_type = RTA_DST;
    attr->rta_len = RTA_LENGTH(sizeof(uint32_t));
    const uint32_t dst = htonl(net.address);
    std::memcpy(RTA_DATA(attr), &dst, sizeof dst);

    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(sock, &req, req.header.nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0) {
        return fail(systemError("sending the route", errno));
    }
    alignas(nlmsghdr) char buf[4096];
    for (;;) {
        ssize_t n = ::recv(sock, buf, sizeof buf, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail(systemError("reading the kernel's answer", errno));
        }
        auto len = static_cast<unsigned>(n);
        for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_seq != seq || h->nlmsg_type != NLMSG_ERROR) {
                continue;
            }
            const auto* e = static_cast<const nlmsgerr*>(NLMSG_DATA(h));
            if (e->error != 0) {
                return fail(systemError("adding the route", -e->error));
            }
            return {};
        }
    }
}

} // namespace

bool Ipv4Net::contains(const Ipv4Net& other) const {
    return other.bits >= bits && (other.address & maskOf(bits)) == address;
}

std::string Ipv4Net::str() const {
    return fmt::format("{}.{}.{}.{}/{}", address >> 24, (address >> 16) & 0xff,
                       (address >> 8) & 0xff, address & 0xff, bits);
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
    out.address = address & maskOf(out.bits);
    return out;
}

const std::vector<Ipv4Net>& defaultBlockedDestinations() {
    static const std::vector<Ipv4Net> nets = {
        {.address = 0xA9FEA9FE, .bits = 32}, // 169.254.169.254, cloud metadata
    };
    return nets;
}

Result<std::vector<Ipv4Net>> blockedDestinations(const std::vector<std::string>& allow) {
    std::vector<Ipv4Net> allowed;
    for (const auto& entry : allow) {
        TRY_ASSIGN(auto net, parseIpv4Net(entry));
        allowed.push_back(net);
    }
    std::vector<Ipv4Net> out;
    for (const auto& blocked : defaultBlockedDestinations()) {
        bool lifted = false;
        for (const auto& a : allowed) {
            lifted = lifted || a.contains(blocked);
        }
        if (!lifted) {
            out.push_back(blocked);
        }
    }
    return out;
}

Result<void> addProhibitRoutes(const std::filesystem::path& netns,
                               const std::vector<Ipv4Net>& nets) {
    if (nets.empty()) {
        return {};
    }
    TRY_ASSIGN(auto sock, routeSocketIn(netns));
    uint32_t seq = 1;
    for (const auto& net : nets) {
        TRY(withContext(addRoute(sock.get(), net, seq++),
                        fmt::format("prohibit route to {} in {}", net.str(), netns.string())));
    }
    return {};
}

} // namespace faasd::network
