#include "catch_result.hpp"
#include "etcd/connection.hpp"
#include "etcd/parse.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::etcd;

TEST_CASE("a prefix's range ends at the next key that does not start with it", "[etcd]") {
    CHECK(prefixEnd("a") == "b");
    CHECK(prefixEnd("/faasd/nodes/") == "/faasd/nodes0");
    CHECK(prefixEnd("ab\xff") == "ac");
    CHECK(prefixEnd("a\xfe") == "a\xff");
    CHECK(prefixEnd("a\xff\xff") == "b");
    // Nothing to increment: every key from the prefix on.
    CHECK(prefixEnd("\xff\xff") == std::string(1, '\0'));
    CHECK(prefixEnd("") == std::string(1, '\0'));
}

TEST_CASE("endpoint URLs give gRPC a host and port", "[etcd]") {
    auto plain = parseEndpoint("http://10.0.0.1:2379");
    REQUIRE(plain);
    CHECK(plain->target == "10.0.0.1:2379");
    CHECK_FALSE(plain->tls);
    CHECK(plain->url == "http://10.0.0.1:2379");

    auto tls = parseEndpoint("https://etcd.example:12379/");
    REQUIRE(tls);
    CHECK(tls->target == "etcd.example:12379");
    CHECK(tls->tls);

    auto noPort = parseEndpoint("http://node-a");
    REQUIRE(noPort);
    CHECK(noPort->target == "node-a:2379");

    auto v6 = parseEndpoint("http://[::1]:23790");
    REQUIRE(v6);
    CHECK(v6->target == "[::1]:23790");
    auto v6NoPort = parseEndpoint("https://[fd00::2]");
    REQUIRE(v6NoPort);
    CHECK(v6NoPort->target == "[fd00::2]:2379");
}

TEST_CASE("endpoints that are not http(s)://host:port are refused, named", "[etcd]") {
    for (const char* bad : {"10.0.0.1:2379", "unix:///run/etcd.sock", "http://", "http://:2379",
                            "http://a:", "http://a:0", "http://a:70000", "http://a:12x",
                            "http://a:2379/v3", "http://::1:2379", "http://[::1", "http://u@a:1"}) {
        auto r = parseEndpoint(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::InvalidArgument);
        CHECK(r.error().message().find(bad) != std::string::npos);
    }
}

TEST_CASE("gRPC statuses map to the project's codes, naming the call", "[etcd]") {
    auto lease =
        toError(grpc::Status(grpc::StatusCode::NOT_FOUND, "etcdserver: requested lease not found"),
                "etcd: revoke lease 7");
    CHECK(lease.code() == Code::NotFound);
    CHECK(lease.message() == "etcd: revoke lease 7: etcdserver: requested lease not found");
    CHECK(toError(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                               "etcdserver: mvcc: required revision has been compacted"),
                  "x")
              .code() == Code::FailedPrecondition);
    CHECK(toError(grpc::Status(grpc::StatusCode::OUT_OF_RANGE,
                               "etcdserver: mvcc: required revision is a future revision"),
                  "x")
              .code() == Code::InvalidArgument);
    CHECK(toError(
              grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "etcdserver: request is too large"),
              "x")
              .code() == Code::InvalidArgument);
    CHECK(toError(grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                               "grpc: received message larger than max (4000000 vs. 2097152)"),
                  "x")
              .code() == Code::InvalidArgument);
    CHECK(toError(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""), "x").code() ==
          Code::Timeout);
    CHECK(toError(grpc::Status(grpc::StatusCode::CANCELLED, ""), "x").code() == Code::Cancelled);
    CHECK(memberUnavailable(grpc::Status(grpc::StatusCode::UNAVAILABLE, "etcdserver: no leader")));
    CHECK_FALSE(memberUnavailable(grpc::Status(grpc::StatusCode::NOT_FOUND, "")));
}
