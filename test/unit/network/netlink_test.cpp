#include "network/netlink.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <cstring>
#include <linux/netlink.h>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::netlink;

// Talking to a kernel needs root: the integration tests of blocked and
// peer routes do. These build and parse the bytes.

namespace {

// A message as the kernel would send it: header, then payload, padded.
std::vector<std::byte> kernelMessage(uint16_t type, uint16_t flags, uint32_t seq,
                                     const std::vector<std::byte>& payload) {
    nlmsghdr header{};
    header.nlmsg_len = static_cast<uint32_t>(NLMSG_HDRLEN + payload.size());
    header.nlmsg_type = type;
    header.nlmsg_flags = flags;
    header.nlmsg_seq = seq;
    std::vector<std::byte> out(NLMSG_ALIGN(header.nlmsg_len));
    std::memcpy(out.data(), &header, sizeof header);
    std::copy(payload.begin(), payload.end(), out.begin() + NLMSG_HDRLEN);
    return out;
}

template <typename T> void put(std::vector<std::byte>& out, const T& value) {
    const auto* bytes = reinterpret_cast<const std::byte*>(&value);
    out.insert(out.end(), bytes, bytes + sizeof value);
}

void putAttribute(std::vector<std::byte>& out, uint16_t type, const std::string& text) {
    rtattr attr{};
    attr.rta_type = type;
    attr.rta_len = static_cast<unsigned short>(RTA_LENGTH(text.size() + 1));
    put(out, attr);
    const auto* bytes = reinterpret_cast<const std::byte*>(text.c_str());
    out.insert(out.end(), bytes, bytes + text.size() + 1);
    out.resize(RTA_ALIGN(out.size()));
}

Message only(const std::vector<std::byte>& datagram) {
    auto messages = splitMessages(datagram);
    REQUIRE(messages);
    REQUIRE(messages->size() == 1);
    return messages->front();
}

} // namespace

TEST_CASE("a route request parses back into the route it was made from", "[netlink]") {
    Route route{.dst = {.address = 0x0AE80200, .bits = 24},
                .gateway = 0x0AE7000C,
                .table = 1000,
                .priority = 100,
                .tos = 0,
                .protocol = 0xfa,
                .scope = RT_SCOPE_UNIVERSE,
                .type = RTN_UNICAST};
    auto bytes = routeRequest(RTM_NEWROUTE, NLM_F_CREATE, route).bytes(7);
    auto message = only(bytes);
    CHECK(message.type == RTM_NEWROUTE);
    CHECK(message.seq == 7);
    CHECK(message.flags == (NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE));
    CHECK(message.payload.size() + NLMSG_HDRLEN == bytes.size());

    // The addresses go in network byte order.
    rtmsg fixed{};
    std::memcpy(&fixed, message.payload.data(), sizeof fixed);
    CHECK(fixed.rtm_dst_len == 24);
    CHECK(fixed.rtm_protocol == 0xfa);
    CHECK(fixed.rtm_table == RT_TABLE_UNSPEC); // past 255 only RTA_TABLE holds it
    const uint32_t gatewayOnWire = htonl(0x0AE7000C);
    CHECK(std::search(bytes.begin(), bytes.end(),
                      reinterpret_cast<const std::byte*>(&gatewayOnWire),
                      reinterpret_cast<const std::byte*>(&gatewayOnWire) + 4) != bytes.end());

    auto parsed = parseRoute(message);
    REQUIRE(parsed);
    REQUIRE(parsed->has_value());
    CHECK(**parsed == route);

    // A default route has no RTA_DST; a prohibit route no gateway.
    Route blocked{.dst = {.address = 0, .bits = 0}, .type = RTN_PROHIBIT};
    auto back = parseRoute(only(routeRequest(RTM_NEWROUTE, 0, blocked).bytes(1)));
    REQUIRE(back);
    CHECK(back->value() == blocked);
}

TEST_CASE("route messages of another kind or family are not routes", "[netlink]") {
    Route route{.dst = {.address = 0x0AE80200, .bits = 24}, .gateway = 0x0AE7000C};
    auto del = parseRoute(only(routeRequest(RTM_DELROUTE, 0, route).bytes(1)));
    REQUIRE(del);
    CHECK_FALSE(del->has_value());

    std::vector<std::byte> payload;
    rtmsg v6{};
    v6.rtm_family = AF_INET6;
    v6.rtm_dst_len = 64;
    put(payload, v6);
    auto other = parseRoute(only(kernelMessage(RTM_NEWROUTE, 0, 1, payload)));
    REQUIRE(other);
    CHECK_FALSE(other->has_value());
}

TEST_CASE("a malformed route message is an error, not a route", "[netlink]") {
    // Shorter than its fixed part.
    auto shortMessage = parseRoute(only(kernelMessage(RTM_NEWROUTE, 0, 1, {std::byte{2}})));
    REQUIRE_FALSE(shortMessage);
    CHECK(shortMessage.error().code() == Code::Internal);

    // An attribute claiming more bytes than there are.
    std::vector<std::byte> payload;
    rtmsg fixed{};
    fixed.rtm_family = AF_INET;
    fixed.rtm_dst_len = 24;
    put(payload, fixed);
    rtattr attr{};
    attr.rta_type = RTA_DST;
    attr.rta_len = 64;
    put(payload, attr);
    auto overrun = parseRoute(only(kernelMessage(RTM_NEWROUTE, 0, 1, payload)));
    REQUIRE_FALSE(overrun);
    CHECK(overrun.error().code() == Code::Internal);

    // A prefix longer than an address.
    fixed.rtm_dst_len = 33;
    payload.clear();
    put(payload, fixed);
    CHECK_FALSE(parseRoute(only(kernelMessage(RTM_NEWROUTE, 0, 1, payload))));
}

TEST_CASE("a datagram splits into its messages", "[netlink]") {
    auto first = kernelMessage(RTM_NEWROUTE, NLM_F_MULTI, 3, {std::byte{1}, std::byte{2}});
    auto second = kernelMessage(NLMSG_DONE, NLM_F_MULTI, 3,
                                {std::byte{0}, std::byte{0}, std::byte{0}, std::byte{0}});
    std::vector<std::byte> datagram = first;
    datagram.insert(datagram.end(), second.begin(), second.end());

    auto messages = splitMessages(datagram);
    REQUIRE(messages);
    REQUIRE(messages->size() == 2);
    CHECK((*messages)[0].type == RTM_NEWROUTE);
    CHECK((*messages)[0].payload.size() == 2); // the padding is not payload
    CHECK((*messages)[1].type == NLMSG_DONE);
    CHECK((*messages)[1].seq == 3);
    CHECK((*messages)[1].flags == NLM_F_MULTI);

    CHECK(splitMessages({})->empty());
    // Cut inside the second message, inside a header, or a header too short.
    CHECK_FALSE(splitMessages(std::span(datagram).first(datagram.size() - 2)));
    CHECK_FALSE(splitMessages(std::span(datagram).first(first.size() + 4)));
    auto bogus = first;
    bogus[0] = std::byte{4};
    CHECK_FALSE(splitMessages(bogus));
}

TEST_CASE("an ack carries the kernel's errno and its reason", "[netlink]") {
    SECTION("a plain ack") {
        std::vector<std::byte> payload;
        put(payload, nlmsgerr{});
        auto ack = parseAck(only(kernelMessage(NLMSG_ERROR, NLM_F_CAPPED, 1, payload)));
        REQUIRE(ack);
        CHECK(ack->error == 0);
        CHECK(ack->text.empty());
    }
    SECTION("a capped refusal with the extended ack") {
        std::vector<std::byte> payload;
        nlmsgerr err{};
        err.error = -ENETUNREACH;
        err.msg.nlmsg_len = 60; // the request's length: not echoed when capped
        put(payload, err);
        putAttribute(payload, NLMSGERR_ATTR_MSG, "Nexthop has invalid gateway");
        auto ack =
            parseAck(only(kernelMessage(NLMSG_ERROR, NLM_F_CAPPED | NLM_F_ACK_TLVS, 1, payload)));
        REQUIRE(ack);
        CHECK(ack->error == ENETUNREACH);
        CHECK(ack->text == "Nexthop has invalid gateway");
        auto error = ackError(*ack, "adding the route");
        CHECK(error.message() ==
              "adding the route: Network is unreachable (Nexthop has invalid gateway)");
    }
    SECTION("a refusal echoing the whole request before its reason") {
        auto request =
            routeRequest(RTM_NEWROUTE, 0, Route{.dst = {.address = 0x0AE80200, .bits = 24}})
                .bytes(1);
        std::vector<std::byte> payload;
        put(payload, int{-EEXIST});
        payload.insert(payload.end(), request.begin(), request.end());
        putAttribute(payload, NLMSGERR_ATTR_MSG, "File exists");
        auto ack = parseAck(only(kernelMessage(NLMSG_ERROR, NLM_F_ACK_TLVS, 1, payload)));
        REQUIRE(ack);
        CHECK(ack->error == EEXIST);
        CHECK(ack->text == "File exists");
        CHECK(ackError(*ack, "x").code() == Code::AlreadyExists);
    }
    SECTION("not an ack, or one cut short") {
        CHECK_FALSE(parseAck(only(kernelMessage(RTM_NEWROUTE, 0, 1, {}))));
        CHECK_FALSE(parseAck(only(kernelMessage(NLMSG_ERROR, 0, 1, {std::byte{0}}))));
        std::vector<std::byte> payload;
        put(payload, int{-EEXIST});
        auto cut = parseAck(only(kernelMessage(NLMSG_ERROR, NLM_F_ACK_TLVS, 1, payload)));
        REQUIRE_FALSE(cut);
        CHECK(cut.error().code() == Code::Internal);
    }
}
