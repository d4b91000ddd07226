#pragma once

// The rtnetlink plumbing of this component's route code (blocked_routes,
// peer_routes); nothing outside network/ includes it. A Socket talks to the
// kernel of one network namespace: a request answered by an ack, or a dump
// read to its end. Requests and the kernel's messages are built and parsed
// here as bytes, so that the parsing is tested without a kernel.

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "network/ipv4_net.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <linux/rtnetlink.h>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace faasd::network::netlink {

// One message of the kernel's answer; payload is what follows the header,
// a view into the datagram it came in.
struct Message {
    uint16_t type = 0;
    uint16_t flags = 0;
    uint32_t seq = 0;
    std::span<const std::byte> payload;
};

// The messages of a datagram, in order; Internal when one overruns it.
Result<std::vector<Message>> splitMessages(std::span<const std::byte> datagram);

// What an NLMSG_ERROR message says: error is 0 for an ack, else an errno;
// text is the kernel's extended ack ("Nexthop has invalid gateway"), if any.
struct Ack {
    int error = 0;
    std::string text;
};
// Internal when message is not a well-formed NLMSG_ERROR.
Result<Ack> parseAck(const Message& message);
// "what: strerror(error) (text)", its code from the errno as systemError's.
Error ackError(const Ack& ack, std::string_view what);

// A request: the netlink header, the family's fixed part, then attributes.
class Request {
public:
    template <typename Fixed>
    Request(uint16_t type, uint16_t flags, const Fixed& fixed) : type_(type), flags_(flags) {
        append(&fixed, sizeof fixed);
    }
    void addAttribute(uint16_t type, const void* data, size_t size);
    void addU32(uint16_t type, uint32_t value);
    // An IPv4 address, given in host byte order, sent in network order.
    void addIpv4(uint16_t type, uint32_t address);

    // The whole message with seq and the header's length filled in.
    std::vector<std::byte> bytes(uint32_t seq) const;

private:
    void append(const void* data, size_t size);

    uint16_t type_;
    uint16_t flags_;
    std::vector<std::byte> body_;
};

// An IPv4 route as rtnetlink carries it. Only what this component reads and
// writes; a multipath route reads with gateway 0.
struct Route {
    Ipv4Net dst{.address = 0, .bits = 0};
    uint32_t gateway = 0; // host byte order; 0: none
    uint32_t table = RT_TABLE_MAIN;
    uint32_t priority = 0; // the metric
    uint8_t tos = 0;
    uint8_t protocol = RTPROT_STATIC;
    uint8_t scope = RT_SCOPE_UNIVERSE;
    uint8_t type = RTN_UNICAST;
    bool operator==(const Route&) const = default;
};

// An RTM_NEWROUTE or RTM_DELROUTE request for route; NLM_F_REQUEST and
// NLM_F_ACK are added to flags.
Request routeRequest(uint16_t type, uint16_t flags, const Route& route);
// The route in an RTM_NEWROUTE message; nullopt for another message type
// or family; Internal when it is malformed.
Result<std::optional<Route>> parseRoute(const Message& message);

// A NETLINK_ROUTE socket, bound to the network namespace it was made in.
class Socket {
public:
    // In the calling thread's network namespace.
    static Result<Socket> open();
    // In the namespace at path: made by a thread that enters it and exits
    // right after, so no thread of ours stays there.
    static Result<Socket> openIn(const std::filesystem::path& netns);

    // Sends request and waits for the kernel's ack: an Ack with error set
    // is the kernel refusing; a failed Result is the socket failing.
    Result<Ack> request(const Request& request);
    // request(), with a refusal as ackError(ack, what).
    Result<void> call(const Request& request, std::string_view what);
    // Sends a dump request and hands each message of the answer to
    // onMessage until the kernel says it is done. Code::Unavailable when
    // the kernel reports the dump interrupted by a concurrent change (its
    // messages may be inconsistent: dump again).
    Result<void> dump(const Request& request,
                      const std::function<Result<void>(const Message&)>& onMessage);

private:
    explicit Socket(UniqueFd fd) : fd_(std::move(fd)) {}
    static Result<Socket> configure(UniqueFd fd);
    Result<uint32_t> send(const Request& request);
    // Reads datagrams answering seq, passing each message to onMessage until
    // it returns true.
    Result<void> receive(uint32_t seq,
                         const std::function<Result<bool>(const Message&)>& onMessage);

    UniqueFd fd_;
    uint32_t seq_ = 0;
    std::vector<std::byte> buffer_;
};

} // namespace faasd::network::netlink
