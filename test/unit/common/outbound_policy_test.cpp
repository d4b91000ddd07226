// Where callbacks may go: loopback, link-local, unspecified and own
// addresses refused unless allowed; public addresses and allowed names pass.

#include "common/outbound_policy.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <string>

using namespace faasd;

namespace {

std::string refusal(const OutboundPolicy& p, const std::string& url) {
    auto checked = p.check(url);
    if (checked) {
        return "allowed";
    }
    CHECK(checked.error().code() == Code::InvalidArgument);
    return checked.error().message();
}

// An IPv4 address of this machine other than loopback, or "".
std::string ownAddress() {
    struct ifaddrs* list = nullptr;
    std::string out;
    if (getifaddrs(&list) != 0) {
        return out;
    }
    for (auto* i = list; i != nullptr && out.empty(); i = i->ifa_next) {
        if (i->ifa_addr != nullptr && i->ifa_addr->sa_family == AF_INET) {
            char buf[INET_ADDRSTRLEN] = {};
            inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(i->ifa_addr)->sin_addr, buf,
                      sizeof buf);
            if (std::string(buf).rfind("127.", 0) != 0) {
                out = buf;
            }
        }
    }
    freeifaddrs(list);
    return out;
}

} // namespace

TEST_CASE("the default policy allows every address") {
    OutboundPolicy open;
    CHECK_FALSE(open.restricts());
    CHECK(open.check("http://127.0.0.1:9000/cb"));
    CHECK(open.check("http://169.254.169.254/latest/meta-data/"));
}

TEST_CASE("loopback, link-local, unspecified and own addresses are refused") {
    auto p = OutboundPolicy::restrictive("");
    REQUIRE(p);
    CHECK(refusal(*p, "http://127.0.0.1:9000/cb") ==
          "127.0.0.1 is a loopback address (allow it in FAASD_CALLBACK_ALLOW)");
    CHECK(refusal(*p, "http://127.1.2.3/") ==
          "127.1.2.3 is a loopback address (allow it in FAASD_CALLBACK_ALLOW)");
    CHECK(refusal(*p, "http://169.254.169.254/latest/meta-data/") ==
          "169.254.169.254 is a link-local address (allow it in FAASD_CALLBACK_ALLOW)");
    CHECK(refusal(*p, "https://[::1]:8443/x") ==
          "::1 is a loopback address (allow it in FAASD_CALLBACK_ALLOW)");
    CHECK(refusal(*p, "http://[fe80::1]/") ==
          "fe80::1 is a link-local address (allow it in FAASD_CALLBACK_ALLOW)");
    CHECK(refusal(*p, "http://[::ffff:127.0.0.1]/") ==
          "::ffff:127.0.0.1: 127.0.0.1 is a loopback address (allow it in FAASD_CALLBACK_ALLOW)");
    CHECK(refusal(*p, "http://0.0.0.0:8080/") ==
          "0.0.0.0 is an unspecified address (allow it in FAASD_CALLBACK_ALLOW)");
    CHECK(refusal(*p, "http://user:pw@127.0.0.1/") ==
          "127.0.0.1 is a loopback address (allow it in FAASD_CALLBACK_ALLOW)");
    auto local = refusal(*p, "http://localhost:9000/"); // 127.0.0.1 or ::1, resolved
    CHECK(local.starts_with("localhost: "));
    CHECK_THAT(local, Catch::Contains("is a loopback address"));
    if (auto own = ownAddress(); !own.empty()) {
        CHECK(refusal(*p, "http://" + own + ":8080/") ==
              own + " is an address of this machine (allow it in FAASD_CALLBACK_ALLOW)");
    }
    CHECK(refusal(*p, "ftp://example.org/") == "ftp://example.org/ is not an http(s) URL");
    CHECK(p->check("http://93.184.216.34/cb")); // a public address, no lookup
    CHECK(p->check("http://[2606:2800:220:1::248]/cb"));
}

TEST_CASE("the allow-list admits CIDRs, addresses and names") {
    auto p = OutboundPolicy::restrictive(" 127.0.0.0/8, ::1 ,hooks.internal,Localhost");
    REQUIRE(p);
    CHECK(p->check("http://127.0.0.1:9000/cb"));
    CHECK(p->check("http://127.9.9.9/cb"));
    CHECK(p->check("http://[::1]/cb"));
    CHECK(p->check("http://localhost/cb"));
    CHECK(p->check("http://HOOKS.internal/cb")); // allowed by name, not resolved
    CHECK(refusal(*p, "http://169.254.169.254/") ==
          "169.254.169.254 is a link-local address (allow it in FAASD_CALLBACK_ALLOW)");
    auto narrow = OutboundPolicy::restrictive("169.254.169.253/32");
    REQUIRE(narrow);
    CHECK_FALSE(narrow->check("http://169.254.169.254/"));
    CHECK(narrow->check("http://169.254.169.253/"));
}

TEST_CASE("a wrong allow-list entry is named") {
    for (auto [list, error] :
         {std::pair{"10.0.0.0/33", "\"10.0.0.0/33\": the prefix length must be 0 to 32"},
          std::pair{"::1/129", "\"::1/129\": the prefix length must be 0 to 128"},
          std::pair{"10.0.0.0/x", "\"10.0.0.0/x\": the prefix length must be 0 to 32"},
          std::pair{"host name/8", "\"host name/8\" is not a CIDR, an address or a host name"},
          std::pair{"a b", "\"a b\" is not a CIDR, an address or a host name"}}) {
        INFO(list);
        auto p = OutboundPolicy::restrictive(list);
        REQUIRE_FALSE(p);
        CHECK(p.error().message() == error);
    }
}
