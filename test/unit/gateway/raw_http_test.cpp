// What HTTP client libraries rarely send: Expect: 100-continue, HTTP/1.0,
// malformed requests; and replicas that close keep-alive connections.

#include "catch_result.hpp"
#include "harness.hpp"

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;

TEST_CASE("Expect: 100-continue is answered before the body is sent") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 5\r\n"
           "Expect: 100-continue\r\n\r\n");
    CHECK(c.readUntil("\r\n\r\n").find("HTTP/1.1 100 Continue") == 0);
    c.send("hello");
    std::string res = c.readUntil("hello");
    CHECK(res.find("HTTP/1.1 200") == 0);
    CHECK(res.find("X-Echo-Call-Id") != std::string::npos);
    CHECK(res.find("Expect") == std::string::npos);
}

TEST_CASE("an HTTP/1.0 caller gets an HTTP/1.0 answer and the connection closes") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("POST /function/echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
    std::string res;
    REQUIRE(c.readToClose(res));
    CHECK(res.find("HTTP/1.0 200") == 0);
    CHECK(res.substr(res.size() - 2) == "hi");
}

TEST_CASE("a malformed request is 400 and the connection closes") {
    Harness h;
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("GARBAGE\r\n\r\n");
    std::string res;
    REQUIRE(c.readToClose(res));
    CHECK(res.find(" 400 ") != std::string::npos);
}

TEST_CASE("keep-alive connections the replica closed are not reused") {
    auto config = Harness::defaultConfig();
    config.ioThreads = 1;
    TestUpstream up("echo-0", 2);
    Harness h(config); // closes every connection after 2 requests
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    auto c = h.client();
    for (int i = 0; i < 10; ++i) {
        auto res = c.Post("/function/echo", "x" + std::to_string(i), "text/plain");
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body == "x" + std::to_string(i));
    }
    CHECK(up.requests() == 10);
    CHECK(up.connections() == 5);
}

TEST_CASE("pipelined requests on one connection are answered in order") {
    TestUpstream up("echo-0");
    Harness h;
    h.provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
    REQUIRE(h.gateway->start());
    RawClient c(h.gateway->port());
    c.send("POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\none"
           "POST /function/echo HTTP/1.1\r\nHost: gw\r\nContent-Length: 3\r\n\r\ntwo"
           "GET /healthz HTTP/1.1\r\nHost: gw\r\nConnection: close\r\n\r\n");
    std::string res;
    REQUIRE(c.readToClose(res));
    auto one = res.find("one");
    auto two = res.find("two");
    auto ok = res.rfind("OK");
    REQUIRE(one != std::string::npos);
    REQUIRE(two != std::string::npos);
    CHECK(one < two);
    CHECK(two < ok);
}
