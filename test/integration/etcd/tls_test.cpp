// https:// endpoints: a member with a certificate from a CA of the test's
// own, and clients that trust that CA or another one.

#include "common/files.hpp"
#include "common/self_signed.hpp"
#include "support.hpp"

using namespace faasd;
using namespace faasd::etcd;
using namespace faasd::etcd::testing;

TEST_CASE("over https the client trusts the members its CA signed, and only those", "[etcd][tls]") {
    auto dir = TempDir::create("faasd-it-tls-");
    REQUIRE(dir);
    SelfSignedRequest request{.dnsNames = {"localhost"}, .addresses = {"127.0.0.1"}};
    auto files = ensureSelfSigned(dir->path() / "member", request);
    REQUIRE(files);
    auto started =
        faasd::testing::EtcdCluster::start(1, faasd::testing::EtcdTls{files->cert, files->key});
    REQUIRE(started);
    auto& etcd = **started;
    REQUIRE(etcd.clientUrl(0).rfind("https://", 0) == 0);

    auto client = Client::connect({.endpoints = {etcd.clientUrl(0)}, .caFile = files->ca});
    REQUIRE(client);
    REQUIRE((*client)->put("/tls/k", "v"));
    auto got = (*client)->get("/tls/k");
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->value == "v");

    // A CA that did not sign the member's certificate: no member answers.
    auto other = ensureSelfSigned(dir->path() / "other", request);
    REQUIRE(other);
    auto untrusted = Client::connect(
        {.endpoints = {etcd.clientUrl(0)}, .caFile = other->ca, .dialTimeout = 500ms});
    REQUIRE_FALSE(untrusted);
    CHECK(untrusted.error().code() == Code::Unavailable);
    CHECK(untrusted.error().message().find(etcd.clientUrl(0)) != std::string::npos);

    // A certificate without its key is the configuration's mistake.
    auto halfPair = Client::connect(
        {.endpoints = {etcd.clientUrl(0)}, .caFile = files->ca, .certFile = files->cert});
    REQUIRE_FALSE(halfPair);
    CHECK(halfPair.error().code() == Code::InvalidArgument);
}
