#include "catch_result.hpp"
#include "daemon/component_config.hpp"
#include "daemon/etcd_member.hpp"
#include "daemon/up.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::daemon;

namespace {

config::DaemonConfig withMembers(const std::string& members, const std::string& node = "") {
    config::Env env{{"FAASD_CLUSTER_MEMBERS", members}, {"FAASD_STATE_DIR", "/srv/faasd"}};
    if (!node.empty()) {
        env["FAASD_CLUSTER_NODE"] = node;
    }
    return config::fromEnv(env).value();
}

} // namespace

TEST_CASE("this node's member is the one of its name", "[daemon]") {
    auto c = withMembers("vm1=10.0.0.1,vm2=10.0.0.2,vm3=10.0.0.3");
    auto byHost = localMember(c.cluster, "vm2");
    REQUIRE(byHost);
    CHECK(byHost->host == "10.0.0.2");

    c.cluster.node = "vm3"; // FAASD_CLUSTER_NODE wins over the host name
    CHECK(localMember(c.cluster, "vm2")->host == "10.0.0.3");

    c.cluster.node = "vm4";
    auto none = localMember(c.cluster, "vm2");
    REQUIRE_FALSE(none);
    CHECK(none.error().code() == Code::InvalidArgument);
    CHECK(none.error().message() ==
          "this node, vm4, is not one of FAASD_CLUSTER_MEMBERS (vm1, vm2, vm3): set "
          "FAASD_CLUSTER_NODE (--node) to its name there");
}

TEST_CASE("etcd runs as this node's member of the listed cluster", "[daemon]") {
    auto c = withMembers("vm1=10.0.0.1,vm2=vm2.lan,vm3=10.0.0.3");
    c.cluster.etcdBinary = "/usr/bin/etcd";
    auto plan = etcdMemberPlan(c, c.cluster.members[1], "10.0.0.2");
    CHECK(etcdMemberArgv(plan) ==
          std::vector<std::string>{
              "/usr/bin/etcd",
              "--name",
              "vm2",
              "--data-dir",
              "/srv/faasd/etcd/data",
              "--listen-client-urls",
              "http://10.0.0.2:2379,http://127.0.0.1:2379",
              "--advertise-client-urls",
              "http://vm2.lan:2379",
              "--listen-peer-urls",
              "http://10.0.0.2:2380",
              "--initial-advertise-peer-urls",
              "http://vm2.lan:2380",
              "--initial-cluster",
              "vm1=http://10.0.0.1:2380,vm2=http://vm2.lan:2380,vm3=http://10.0.0.3:2380",
              "--initial-cluster-state",
              "new",
              "--initial-cluster-token",
              "faasd",
              "--auto-compaction-mode",
              "periodic",
              "--auto-compaction-retention",
              "1h",
              "--logger",
              "zap",
          });

    // On loopback, with ports of its own: no second loopback listener.
    auto local = withMembers("a=127.0.0.1:12379:12380");
    auto argv = etcdMemberArgv(etcdMemberPlan(local, local.cluster.members[0], "127.0.0.1"));
    CHECK(argv[5] == "--listen-client-urls");
    CHECK(argv[6] == "http://127.0.0.1:12379");
    CHECK(argv[10] == "http://127.0.0.1:12380");
    CHECK(argv[14] == "a=http://127.0.0.1:12380");
}

TEST_CASE("a member's node reaches etcd through its member first, at the member's address",
          "[daemon]") {
    auto c = withMembers("vm1=10.0.0.1,vm2=10.0.0.2,vm3=10.0.0.3", "vm3");
    auto k = clusterConfigFrom(c);
    REQUIRE(k);
    CHECK(k->node.name == "vm3");
    CHECK(k->node.address == "10.0.0.3");
    CHECK(k->etcd.endpoints == std::vector<std::string>{"http://10.0.0.3:2379",
                                                        "http://10.0.0.1:2379",
                                                        "http://10.0.0.2:2379"});

    c.cluster.address = "192.168.1.3"; // FAASD_CLUSTER_ADDRESS wins
    CHECK(clusterConfigFrom(c)->node.address == "192.168.1.3");

    c.cluster.node = "vm9";
    auto outside = clusterConfigFrom(c);
    REQUIRE_FALSE(outside);
    CHECK(outside.error().code() == Code::InvalidArgument);
}

TEST_CASE("--members is FAASD_CLUSTER_MEMBERS", "[daemon]") {
    auto c = upConfig({}, {.node = "b", .members = "a=10.0.0.1,b=10.0.0.2"});
    REQUIRE(c);
    CHECK(c->cluster.enabled());
    CHECK(c->cluster.node == "b");
    CHECK(c->cluster.members.size() == 2);
    CHECK(c->cluster.etcd.size() == 2);

    auto bad = upConfig({}, {.members = "a=10.0.0.1:1"});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("FAASD_CLUSTER_MEMBERS") != std::string::npos);
}

TEST_CASE("with the members listed, a node's function subnet follows its place unless set",
          "[daemon]") {
    auto b = upConfig({}, {.node = "b", .members = "a=10.0.0.1,b=10.0.0.2,c=10.0.0.3"});
    REQUIRE(b);
    CHECK(b->cniSubnet == "10.62.2.0/24");
    auto set = upConfig({{"FAASD_CNI_SUBNET", "10.70.0.0/24"}},
                        {.node = "c", .members = "a=10.0.0.1,b=10.0.0.2,c=10.0.0.3"});
    REQUIRE(set);
    CHECK(set->cniSubnet == "10.70.0.0/24");
    auto one = upConfig({}, {});
    REQUIRE(one);
    CHECK(one->cniSubnet == "10.62.0.0/16");
}
