#include "common/http_headers.hpp"
#include "common/strings.hpp"

#include <catch2/catch.hpp>

using namespace faasd;

TEST_CASE("every listed hop-by-hop field is one, in any case", "[http_headers]") {
    for (std::string_view name : kHopByHopHeaders) {
        INFO(name);
        CHECK(isHopByHop(name));
        CHECK(isHopByHop(asciiLower(name)));
        std::string upper(name);
        for (char& c : upper) {
            c = static_cast<char>(c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c);
        }
        CHECK(isHopByHop(upper));
    }
}

TEST_CASE("the hop-by-hop list is RFC 9110's with the proxy pair", "[http_headers]") {
    for (std::string_view name :
         {"Connection", "Keep-Alive", "Proxy-Connection", "TE", "Trailer", "Transfer-Encoding",
          "Upgrade", "Proxy-Authenticate", "Proxy-Authorization"}) {
        INFO(name);
        CHECK(isHopByHop(name));
    }
    CHECK(kHopByHopHeaders.size() == 9);
}

TEST_CASE("end-to-end fields are not hop-by-hop", "[http_headers]") {
    // Framing and the end-to-end fields a function sees or answers with.
    for (std::string_view name :
         {"Content-Length", "Content-Type", "Host", "Expect", "Authorization", "X-Call-Id",
          "Trailers", "TE2", "Connections", "Proxy-", "Proxy-Something", "X-Upgrade",
          "Upgrade-Insecure-Requests", "Keep-Alive-Timeout", "", "T", "Transfer-Encodin"}) {
        INFO(name);
        CHECK_FALSE(isHopByHop(name));
    }
}
