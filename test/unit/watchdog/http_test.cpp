#include "watchdog/http_parser.hpp"

#include <catch2/catch.hpp>

using namespace faasd::watchdog;

TEST_CASE("a request head is parsed into the arena", "[http]") {
    MessageHead head;
    RequestParser parser(head);
    std::string input = "POST /fn/path?a=b HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                        "X-Call-Id: 42\r\n\r\nhello";
    error_code ec;
    size_t used = parser.feed(input, ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_header_done());
    CHECK(head.method() == "POST");
    CHECK(head.target() == "/fn/path?a=b");
    CHECK(head.path() == "/fn/path");
    CHECK(head.query() == "a=b");
    CHECK(head.find("x-call-id") == "42");
    CHECK(head.contentLength == 5u);
    CHECK(head.keepAlive);

    std::string body;
    parser.setOutput({&body, 3, false});
    used += parser.feed(std::string_view(input).substr(used), ec);
    CHECK(body == "hel"); // output full: parsing stops
    CHECK_FALSE(parser.is_done());
    parser.setOutput({&body, 100, false});
    used += parser.feed(std::string_view(input).substr(used), ec);
    CHECK(body == "hello");
    CHECK(parser.is_done());
    CHECK(used == input.size());
}

TEST_CASE("chunked bodies can be re-framed as chunks", "[http]") {
    MessageHead head;
    RequestParser parser(head);
    std::string input = "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
    error_code ec;
    size_t used = parser.feed(input, ec);
    REQUIRE(head.chunked);
    std::string plain;
    parser.setOutput({&plain, 1000, false});
    parser.feed(std::string_view(input).substr(used), ec);
    CHECK(plain == "abcde");
    CHECK(parser.is_done());

    std::string framed;
    appendChunk(framed, "hello world, a longer chunk");
    CHECK(framed == "1b\r\nhello world, a longer chunk\r\n");
}

TEST_CASE("a response head and a limit on the body", "[http]") {
    MessageHead head;
    ResponseParser parser(head);
    std::string input = "HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n";
    error_code ec;
    parser.feed(input, ec);
    REQUIRE(parser.is_header_done());
    CHECK(head.status() == 404);
    CHECK_FALSE(head.keepAlive);
    CHECK(parser.need_eof());

    MessageHead big;
    RequestParser limited(big);
    limited.body_limit(4);
    limited.feed("POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\n", ec);
    CHECK(ec == http::error::body_limit);
}

TEST_CASE("per-hop fields: hop-by-hop and Content-Length", "[http]") {
    CHECK(isPerHop("Connection"));
    CHECK(isPerHop("transfer-encoding"));
    CHECK(isPerHop("Keep-Alive"));
    CHECK(isPerHop("content-length"));
    CHECK_FALSE(isPerHop("Content-Type"));
    CHECK_FALSE(isPerHop("X-Call-Id"));
    CHECK(reasonPhrase(408) == "Request Timeout");
}
