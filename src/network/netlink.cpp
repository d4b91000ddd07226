#include "network/netlink.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <linux/netlink.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace faasd::network::netlink {

namespace {

// Big enough for any datagram the kernel sends a dump in (it sizes them
// from the reader's buffer, up to 32 KiB).
constexpr size_t kReceiveBuffer = 64 * 1024;

template <typename T> T readAs(std::span<const std::byte> bytes) {
    T out{};
    std::memcpy(&out, bytes.data(), sizeof out);
    return out;
}

// Calls fn(type, data) for each attribute (rtattr and nlattr share a shape)
// in bytes; Internal when one overruns them.
template <typename Fn>
Result<void> forEachNetlinkAttribute(std::span<const std::byte> bytes, Fn fn) {
    while (bytes.size() >= sizeof(rtattr)) {
        auto attr = readAs<rtattr>(bytes);
        if (attr.rta_len < sizeof(rtattr) || attr.rta_len > bytes.size()) {
            return fail(Code::Internal, "netlink attribute {} has length {} of {} bytes left",
                        attr.rta_type, attr.rta_len, bytes.size());
        }
        fn(static_cast<uint16_t>(attr.rta_type & NLA_TYPE_MASK),
           bytes.subspan(RTA_LENGTH(0), attr.rta_len - RTA_LENGTH(0)));
        bytes = bytes.subspan(std::min<size_t>(RTA_ALIGN(attr.rta_len), bytes.size()));
    }
    return {};
}

} // namespace

Result<std::vector<Message>> splitMessages(std::span<const std::byte> datagram) {
    std::vector<Message> out;
    while (!datagram.empty()) {
        if (datagram.size() < sizeof(nlmsghdr)) {
            return fail(Code::Internal, "netlink datagram ends in a {}-byte fragment",
                        datagram.size());
        }
        auto header = readAs<nlmsghdr>(datagram);
        if (header.nlmsg_len < sizeof(nlmsghdr) || header.nlmsg_len > datagram.size()) {
            return fail(Code::Internal, "netlink message of length {} in {} bytes",
                        header.nlmsg_len, datagram.size());
        }
        out.push_back({.type = header.nlmsg_type,
                       .flags = header.nlmsg_flags,
                       .seq = header.nlmsg_seq,
                       .payload = datagram.subspan(NLMSG_HDRLEN, header.nlmsg_len - NLMSG_HDRLEN)});
        datagram =
            datagram.subspan(std::min<size_t>(NLMSG_ALIGN(header.nlmsg_len), datagram.size()));
    }
    return out;
}

Result<Ack> parseAck(const Message& message) {
    if (message.type != NLMSG_ERROR || message.payload.size() < sizeof(int)) {
        return fail(Code::Internal, "netlink message of type {} is not an ack", message.type);
    }
    Ack ack{.error = -readAs<int>(message.payload), .text = {}};
    if ((message.flags & NLM_F_ACK_TLVS) == 0) {
        return ack;
    }
    // After the error: the request's header (capped) or the whole request.
    size_t offset = sizeof(nlmsgerr);
    if ((message.flags & NLM_F_CAPPED) == 0 && message.payload.size() >= sizeof(nlmsgerr)) {
        offset = sizeof(int) + readAs<nlmsgerr>(message.payload).msg.nlmsg_len;
    }
    offset = NLMSG_ALIGN(offset);
    if (offset > message.payload.size()) {
        return fail(Code::Internal, "netlink ack of {} bytes ends before its attributes",
                    message.payload.size());
    }
    TRY(forEachNetlinkAttribute(
        message.payload.subspan(offset), [&](uint16_t type, std::span<const std::byte> data) {
            if (type == NLMSGERR_ATTR_MSG) {
                std::string text(reinterpret_cast<const char*>(data.data()), data.size());
                ack.text = text.substr(0, text.find('\0'));
            }
        }));
    return ack;
}

Error ackError(const Ack& ack, std::string_view what) {
    auto error = systemError(what, ack.error);
    if (ack.text.empty()) {
        return error;
    }
    return Error(error.code(), fmt::format("{} ({})", error.message(), ack.text));
}

void Request::append(const void* data, size_t size) {
    const auto* bytes = static_cast<const std::byte*>(data);
    body_.insert(body_.end(), bytes, bytes + size);
    body_.resize(NLMSG_ALIGN(body_.size()));
}

void Request::addAttribute(uint16_t type, const void* data, size_t size) {
    rtattr attr{.rta_len = static_cast<unsigned short>(RTA_LENGTH(size)), .rta_type = type};
    const auto* head = reinterpret_cast<const std::byte*>(&attr);
    body_.insert(body_.end(), head, head + sizeof attr);
    append(data, size);
}

void Request::addU32(uint16_t type, uint32_t value) {
    addAttribute(type, &value, sizeof value);
}

void Request::addIpv4(uint16_t type, uint32_t address) {
    const uint32_t network = htonl(address);
    addAttribute(type, &network, sizeof network);
}

std::vector<std::byte> Request::bytes(uint32_t seq) const {
    nlmsghdr header{.nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + body_.size()),
                    .nlmsg_type = type_,
                    .nlmsg_flags = flags_,
                    .nlmsg_seq = seq,
                    .nlmsg_pid = 0};
    std::vector<std::byte> out(header.nlmsg_len);
    std::memcpy(out.data(), &header, sizeof header);
    std::memcpy(out.data() + NLMSG_HDRLEN, body_.data(), body_.size());
    return out;
}

Request routeRequest(uint16_t type, uint16_t flags, const Route& route) {
    rtmsg fixed{};
    fixed.rtm_family = AF_INET;
    fixed.rtm_dst_len = route.dst.bits;
    fixed.rtm_tos = route.tos;
    fixed.rtm_table = static_cast<uint8_t>(route.table < 256 ? route.table : RT_TABLE_UNSPEC);
    fixed.rtm_protocol = route.protocol;
    fixed.rtm_scope = route.scope;
    fixed.rtm_type = route.type;
    Request request(type, static_cast<uint16_t>(flags | NLM_F_REQUEST | NLM_F_ACK), fixed);
    request.addU32(RTA_TABLE, route.table);
    if (route.dst.bits > 0) {
        request.addIpv4(RTA_DST, route.dst.address);
    }
    if (route.gateway != 0) {
        request.addIpv4(RTA_GATEWAY, route.gateway);
    }
    if (route.priority != 0) {
        request.addU32(RTA_PRIORITY, route.priority);
    }
    return request;
}

Result<std::optional<Route>> parseRoute(const Message& message) {
    if (message.type != RTM_NEWROUTE) {
        return std::nullopt;
    }
    if (message.payload.size() < sizeof(rtmsg)) {
        return fail(Code::Internal, "route message of {} bytes", message.payload.size());
    }
    auto fixed = readAs<rtmsg>(message.payload);
    if (fixed.rtm_family != AF_INET) {
        return std::nullopt;
    }
    if (fixed.rtm_dst_len > 32) {
        return fail(Code::Internal, "IPv4 route with prefix length {}", fixed.rtm_dst_len);
    }
    Route route{.dst = {.address = 0, .bits = fixed.rtm_dst_len},
                .gateway = 0,
                .table = fixed.rtm_table,
                .priority = 0,
                .tos = fixed.rtm_tos,
                .protocol = fixed.rtm_protocol,
                .scope = fixed.rtm_scope,
                .type = fixed.rtm_type};
    auto u32 = [](std::span<const std::byte> data, uint32_t& out) {
        if (data.size() == sizeof(uint32_t)) {
            out = readAs<uint32_t>(data);
        }
    };
    uint32_t dst = 0;
    uint32_t gateway = 0;
    TRY(forEachNetlinkAttribute(message.payload.subspan(NLMSG_ALIGN(sizeof(rtmsg))),
                                [&](uint16_t type, std::span<const std::byte> data) {
                                    switch (type) {
                                    case RTA_DST:
                                        u32(data, dst);
                                        break;
                                    case RTA_GATEWAY:
                                        u32(data, gateway);
                                        break;
                                    case RTA_TABLE:
                                        u32(data, route.table);
                                        break;
                                    case RTA_PRIORITY:
                                        u32(data, route.priority);
                                        break;
                                    default:
                                        break;
                                    }
                                }));
    route.dst.address = ntohl(dst) & ipv4Mask(route.dst.bits);
    route.gateway = ntohl(gateway);
    return route;
}

Result<Socket> Socket::configure(UniqueFd fd) {
    timeval timeout{.tv_sec = 5, .tv_usec = 0};
    if (::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout) != 0) {
        return fail(systemError("setting the netlink socket's timeout", errno));
    }
    // The kernel's reason with a refusal, and acks that do not echo the
    // request. Older kernels lack them; their refusals are still errnos.
    const int on = 1;
    (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_EXT_ACK, &on, sizeof on);
    (void)::setsockopt(fd.get(), SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    return Socket(std::move(fd));
}

Result<Socket> Socket::open() {
    UniqueFd fd(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
    if (!fd) {
        return fail(systemError("opening a netlink socket", errno));
    }
    return configure(std::move(fd));
}

Result<Socket> Socket::openIn(const std::filesystem::path& netns) {
    UniqueFd ns(::open(netns.c_str(), O_RDONLY | O_CLOEXEC));
    if (!ns) {
        return fail(systemError(fmt::format("opening netns {}", netns.string()), errno));
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
        return fail(systemError(fmt::format("netns {}: {}", netns.string(), step), err));
    }
    return configure(UniqueFd(sock));
}

Result<uint32_t> Socket::send(const Request& request) {
    const uint32_t seq = ++seq_;
    auto bytes = request.bytes(seq);
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd_.get(), bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&kernel),
                 sizeof kernel) < 0) {
        return fail(systemError("sending a netlink request", errno));
    }
    return seq;
}

Result<void> Socket::receive(uint32_t seq,
                             const std::function<Result<bool>(const Message&)>& onMessage) {
    buffer_.resize(kReceiveBuffer);
    for (;;) {
        sockaddr_nl from{};
        iovec iov{.iov_base = buffer_.data(), .iov_len = buffer_.size()};
        msghdr msg{};
        msg.msg_name = &from;
        msg.msg_namelen = sizeof from;
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        ssize_t n = ::recvmsg(fd_.get(), &msg, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail(systemError("reading the kernel's answer", errno));
        }
        if ((msg.msg_flags & MSG_TRUNC) != 0) {
            return fail(Code::Internal, "the kernel's answer overran {} bytes", buffer_.size());
        }
        if (from.nl_pid != 0) {
            continue; // not from the kernel
        }
        TRY_ASSIGN(auto messages, splitMessages(std::span<const std::byte>(
                                      buffer_.data(), static_cast<size_t>(n))));
        for (const auto& message : messages) {
            if (message.seq != seq) {
                continue;
            }
            TRY_ASSIGN(bool done, onMessage(message));
            if (done) {
                return {};
            }
        }
    }
}

Result<Ack> Socket::request(const Request& request) {
    TRY_ASSIGN(auto seq, send(request));
    Ack ack;
    TRY(receive(seq, [&](const Message& message) -> Result<bool> {
        if (message.type != NLMSG_ERROR) {
            return false;
        }
        TRY_ASSIGN(ack, parseAck(message));
        return true;
    }));
    return ack;
}

Result<void> Socket::call(const Request& request, std::string_view what) {
    TRY_ASSIGN(auto ack, this->request(request));
    if (ack.error != 0) {
        return fail(ackError(ack, what));
    }
    return {};
}

Result<void> Socket::dump(const Request& request,
                          const std::function<Result<void>(const Message&)>& onMessage) {
    TRY_ASSIGN(auto seq, send(request));
    bool interrupted = false;
    TRY(receive(seq, [&](const Message& message) -> Result<bool> {
        interrupted = interrupted || (message.flags & NLM_F_DUMP_INTR) != 0;
        if (message.type == NLMSG_DONE) {
            // Since Linux 4.x the end carries the dump's own error, if any.
            if (message.payload.size() >= sizeof(int) && readAs<int>(message.payload) < 0) {
                return fail(systemError("the kernel's dump", -readAs<int>(message.payload)));
            }
            return true;
        }
        if (message.type == NLMSG_ERROR) {
            TRY_ASSIGN(auto ack, parseAck(message));
            if (ack.error != 0) {
                return fail(ackError(ack, "the kernel refused the dump"));
            }
            return true;
        }
        TRY(onMessage(message));
        return false;
    }));
    if (interrupted) {
        return fail(Code::Unavailable, "the kernel's dump was interrupted by a change");
    }
    return {};
}

} // namespace faasd::network::netlink
