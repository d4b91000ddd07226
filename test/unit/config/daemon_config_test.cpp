#include "catch_result.hpp"
#include "config/daemon_config.hpp"

#include <catch2/catch.hpp>
#include <set>

using namespace faasd;
using namespace faasd::config;
using namespace std::chrono_literals;

TEST_CASE("defaults with an empty environment", "[config]") {
    auto c = fromEnv({});
    REQUIRE(c);
    CHECK(c->gatewayPort == 8080);
    CHECK(c->gatewayAddress == "0.0.0.0");
    CHECK(c->basicAuth);
    CHECK(c->stateDir == "/var/lib/faasd");
    CHECK(c->containerdSocket == "/run/containerd/containerd.sock");
    CHECK(c->cniBridge == "openfaas0");
    CHECK(c->cniSubnet == "10.62.0.0/16");
    CHECK(c->pullPolicy == "IfNotPresent");
    CHECK(c->cgroupParent == "/faasd");
    CHECK(c->basicAuthPasswordFile() == "/var/lib/faasd/secrets/basic-auth-password");
}

TEST_CASE("variables override defaults", "[config]") {
    auto c = fromEnv({{"FAASD_GATEWAY_PORT", "9090"},
                      {"FAASD_BASIC_AUTH", "false"},
                      {"FAASD_CNI_SUBNET", "10.99.0.0/24"},
                      {"CNI_PATH", "/opt/cni/bin:/usr/lib/cni"},
                      {"FAASD_NAMESERVERS", "10.0.0.2, 10.0.0.3"},
                      {"FAASD_INSECURE_REGISTRIES", "127.0.0.1:5000"},
                      {"FAASD_REGISTRY_MIRRORS", "docker.io=m1:5000|m2:5000"},
                      {"FAASD_READINESS_TIMEOUT", "1m"},
                      {"FAASD_PULL_POLICY", "Never"},
                      {"FAASD_CGROUP_PARENT", "/faasd/node-1.a_b"},
                      {"HOME", "/root"}});
    REQUIRE(c);
    CHECK(c->gatewayPort == 9090);
    CHECK_FALSE(c->basicAuth);
    CHECK(c->cniSubnet == "10.99.0.0/24");
    CHECK(c->cniPluginDirs == std::vector<std::string>{"/opt/cni/bin", "/usr/lib/cni"});
    CHECK(c->nameservers == std::vector<std::string>{"10.0.0.2", "10.0.0.3"});
    CHECK(c->registryMirrors.at("docker.io") == std::vector<std::string>{"m1:5000", "m2:5000"});
    CHECK(c->readinessTimeout == 60s);
    CHECK(c->pullPolicy == "Never");
    CHECK(c->dockerConfig == "/root/.docker/config.json");
    CHECK(c->cgroupParent == "/faasd/node-1.a_b");
}

TEST_CASE("bad values name the variable", "[config]") {
    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"FAASD_GATEWAY_PORT", "http"},
             {"FAASD_GATEWAY_PORT", "70000"},
             {"FAASD_BASIC_AUTH", "maybe"},
             {"FAASD_CNI_SUBNET", "10.62.0.0"},
             {"FAASD_CNI_SUBNET", "300.1.1.1/16"},
             {"FAASD_CNI_BRIDGE", "a-very-long-bridge-name"},
             {"FAASD_PULL_POLICY", "sometimes"},
             {"FAASD_CGROUP_PARENT", "faasd"},
             {"FAASD_CGROUP_PARENT", "/"},
             {"FAASD_CGROUP_PARENT", "/faasd/"},
             {"FAASD_CGROUP_PARENT", "/faasd//node1"},
             {"FAASD_CGROUP_PARENT", "/faasd/../system.slice"},
             {"FAASD_CGROUP_PARENT", "/faasd/node 1"},
             {"FAASD_CGROUP_PARENT", "/faasd/ x"},
             {"FAASD_CGROUP_PARENT", "/faasd/."},
             {"FAASD_READINESS_TIMEOUT", "soon"},
             {"FAASD_REGISTRY_MIRRORS", "docker.io"},
             {"FAASD_MAX_REPLICAS", "0"},
             {"FAASD_SCALER", "perhaps"},
             {"FAASD_SCALER_TICK", "1ms"},
             {"FAASD_SCALER_ZERO_DURATION", "later"},
             {"FAASD_SCALER_EVICT_AFTER", "-1s"},
             {"FAASD_SCALER_MIN_FREE_MEMORY", "100"},
             {"FAASD_FUNCTION_EGRESS_ALLOW", "169.254.169.254/33"},
             {"FAASD_FUNCTION_EGRESS_ALLOW", "10.0.0.1,metadata"},
             {"FAASD_FUNCTION_EGRESS_ALLOW", "169.254.169"},
             {"FAASD_FUNCTION_USERNS", "0:65536"},
             {"FAASD_FUNCTION_USERNS", "200000:1000"},
             {"FAASD_FUNCTION_USERNS", "200000"},
             {"FAASD_FUNCTION_USERNS", "4294967000:65536"}}) {
        auto c = fromEnv({{key, value}});
        INFO(key << "=" << value);
        REQUIRE_FALSE(c);
        CHECK(c.error().code() == Code::InvalidArgument);
        CHECK(c.error().message().find(key) != std::string::npos);
    }
}

TEST_CASE("functions' egress allowances", "[config]") {
    auto d = fromEnv({});
    REQUIRE(d);
    CHECK(d->functionEgressAllow.empty());
    auto c = fromEnv({{"FAASD_FUNCTION_EGRESS_ALLOW", "169.254.169.254, 169.254.0.0/16"}});
    REQUIRE(c);
    CHECK(c->functionEgressAllow == std::vector<std::string>{"169.254.169.254", "169.254.0.0/16"});
    CHECK(d->functionUserns.empty());
    auto u = fromEnv({{"FAASD_FUNCTION_USERNS", "200000:65536"}});
    REQUIRE(u);
    CHECK(u->functionUserns == "200000:65536");
}

TEST_CASE("scaler settings", "[config]") {
    auto d = fromEnv({});
    REQUIRE(d);
    CHECK(d->scalerEnabled);
    CHECK(d->scalerPark);
    CHECK(d->scalerTick == 1s);
    CHECK(d->scaleZeroDuration == 15min);
    CHECK(d->scaleDownWindow == 30s);
    CHECK(d->scalerEvictAfter == 1h);
    CHECK(d->scalerMinFreeMemoryPercent == 10);
    auto c = fromEnv({{"FAASD_SCALER", "false"},
                      {"FAASD_SCALER_PARK", "false"},
                      {"FAASD_SCALER_TICK", "250ms"},
                      {"FAASD_SCALER_ZERO_DURATION", "30s"},
                      {"FAASD_SCALER_SCALE_DOWN_WINDOW", "10s"},
                      {"FAASD_SCALER_EVICT_AFTER", "0"},
                      {"FAASD_SCALER_MIN_FREE_MEMORY", "0"}});
    REQUIRE(c);
    CHECK_FALSE(c->scalerEnabled);
    CHECK_FALSE(c->scalerPark);
    CHECK(c->scalerTick == 250ms);
    CHECK(c->scaleZeroDuration == 30s);
    CHECK(c->scaleDownWindow == 10s);
    CHECK(c->scalerEvictAfter == 0ms);
    CHECK(c->scalerMinFreeMemoryPercent == 0);
}

TEST_CASE("durations", "[config]") {
    CHECK(parseDuration("10s").value() == 10s);
    CHECK(parseDuration("500ms").value() == 500ms);
    CHECK(parseDuration("2m").value() == 120s);
    CHECK(parseDuration("30").value() == 30s);
    CHECK(parseDuration("1.5s").value() == 1500ms);
    CHECK_FALSE(parseDuration("-1s"));
    CHECK_FALSE(parseDuration("s"));
    CHECK_FALSE(parseDuration("ten"));
}

TEST_CASE("queue variables", "[config]") {
    auto d = fromEnv({});
    REQUIRE(d);
    CHECK(d->queue.enabled);
    CHECK(d->queue.fullSync);
    CHECK(d->queueDatabase() == "/var/lib/faasd/queue.db");
    auto c = fromEnv({{"FAASD_QUEUE_SYNC", "normal"},
                      {"FAASD_QUEUE_MAX_ITEMS", "10"},
                      {"FAASD_QUEUE_WORKERS", "3"},
                      {"FAASD_QUEUE_RETRY_DELAY", "250ms"},
                      {"FAASD_QUEUE_ENABLED", "false"}});
    REQUIRE(c);
    CHECK_FALSE(c->queue.fullSync);
    CHECK_FALSE(c->queue.enabled);
    CHECK(c->queue.maxItems == 10);
    CHECK(c->queue.workers == 3);
    CHECK(c->queue.retryDelay == 250ms);
    auto bad = fromEnv({{"FAASD_QUEUE_SYNC", "sometimes"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("FAASD_QUEUE_SYNC") != std::string::npos);
    bad = fromEnv({{"FAASD_QUEUE_WORKERS", "0"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("FAASD_QUEUE_WORKERS") != std::string::npos);
}

TEST_CASE("function builder variables", "[config]") {
    auto d = fromEnv({});
    REQUIRE(d);
    CHECK(d->builder.enabled);
    CHECK(d->builder.maxBytes == d->maxBodyBytes);
    CHECK(d->builder.concurrency == 1);
    CHECK(d->builder.buildahRoot.empty());
    CHECK(d->payloadSecretFile() == "/var/lib/faasd/secrets/payload-secret");
    CHECK(d->buildsDir() == "/var/lib/faasd/builds");

    // The builder's limit follows the gateway's unless set lower.
    auto c = fromEnv({{"FAASD_MAX_BODY_BYTES", "4096"}, {"FAASD_STATE_DIR", "/srv/faasd"}});
    REQUIRE(c);
    CHECK(c->builder.maxBytes == 4096);
    CHECK(c->payloadSecretFile() == "/srv/faasd/secrets/payload-secret");
    CHECK(c->buildsDir() == "/srv/faasd/builds");

    c = fromEnv({{"FAASD_BUILDER", "false"},
                 {"FAASD_BUILDER_MAX_BYTES", "1048576"},
                 {"FAASD_BUILDER_CONCURRENCY", "3"},
                 {"FAASD_BUILDAH_ROOT", "/var/lib/faasd/buildah"}});
    REQUIRE(c);
    CHECK_FALSE(c->builder.enabled);
    CHECK(c->builder.maxBytes == 1048576);
    CHECK(c->builder.concurrency == 3);
    CHECK(c->builder.buildahRoot == "/var/lib/faasd/buildah");

    for (const auto& [key, value] : std::vector<std::pair<std::string, std::string>>{
             {"FAASD_BUILDER", "sometimes"},
             {"FAASD_BUILDER_MAX_BYTES", "lots"},
             {"FAASD_BUILDER_MAX_BYTES", "100"},
             {"FAASD_BUILDER_MAX_BYTES", "68719476736"}, // over FAASD_MAX_BODY_BYTES
             {"FAASD_BUILDER_CONCURRENCY", "0"},
             {"FAASD_BUILDER_CONCURRENCY", "65"},
         }) {
        auto bad = fromEnv({{key, value}});
        INFO(key << "=" << value);
        REQUIRE_FALSE(bad);
        CHECK(bad.error().message().find(key) != std::string::npos);
    }
}

TEST_CASE("the table's written defaults are the defaults", "[config]") {
    auto defaults = fromEnv({});
    REQUIRE(defaults);
    CHECK(*defaults == DaemonConfig{});
    std::set<std::string_view> names;
    for (const auto& var : envVars()) {
        INFO(var.name);
        CHECK(names.insert(var.name).second);
        CHECK_FALSE(var.doc.empty());
        if (var.derive || var.fallback.empty()) {
            continue; // follows other settings, or none
        }
        auto c = fromEnv({{std::string(var.name), std::string(var.fallback)}});
        REQUIRE(c);
        CHECK(*c == *defaults);
    }
}

TEST_CASE("cluster mode is off without etcd members, and read from FAASD_CLUSTER_*", "[config]") {
    auto one = fromEnv({});
    REQUIRE(one);
    CHECK_FALSE(one->cluster.enabled());
    CHECK(one->cluster.node.empty()); // the host name, when the daemon starts
    CHECK(one->cluster.leaseTtl == 5s);

    auto c = fromEnv({{"FAASD_CLUSTER_ETCD", "http://10.0.0.1:2379,https://10.0.0.2:2379"},
                      {"FAASD_CLUSTER_NODE", "vm-b"},
                      {"FAASD_CLUSTER_ADDRESS", "10.0.0.2"},
                      {"FAASD_CLUSTER_LEASE_TTL", "3s"}});
    REQUIRE(c);
    CHECK(c->cluster.enabled());
    CHECK(c->cluster.etcd ==
          std::vector<std::string>{"http://10.0.0.1:2379", "https://10.0.0.2:2379"});
    CHECK(c->cluster.node == "vm-b");
    CHECK(c->cluster.address == "10.0.0.2");
    CHECK(c->cluster.leaseTtl == 3s);

    for (const auto& bad : {"10.0.0.1:2379", "tcp://10.0.0.1:2379", "http://10.0.0.1"}) {
        auto r = fromEnv({{"FAASD_CLUSTER_ETCD", bad}});
        REQUIRE_FALSE(r);
        CHECK(r.error().message().find("FAASD_CLUSTER_ETCD") != std::string::npos);
    }
    REQUIRE_FALSE(fromEnv({{"FAASD_CLUSTER_LEASE_TTL", "1s"}}));
}

TEST_CASE("FAASD_CLUSTER_MEMBERS lists the etcd members the nodes run", "[config]") {
    auto c = fromEnv({{"FAASD_CLUSTER_MEMBERS", "vm1=10.0.0.1, vm2=10.0.0.2,vm3=vm3.lan"}});
    REQUIRE(c);
    REQUIRE(c->cluster.members.size() == 3);
    CHECK(c->cluster.members[0] ==
          ClusterMember{.name = "vm1", .host = "10.0.0.1", .clientPort = 2379, .peerPort = 2380});
    CHECK(c->cluster.members[2].host == "vm3.lan");
    CHECK(c->cluster.members[2].peerUrl() == "http://vm3.lan:2380");
    // The members are the cluster's etcd, in their order (the daemon puts
    // its own first): cluster mode is on.
    CHECK(c->cluster.enabled());
    CHECK(c->cluster.etcd == std::vector<std::string>{"http://10.0.0.1:2379",
                                                      "http://10.0.0.2:2379",
                                                      "http://vm3.lan:2379"});
    CHECK(c->cluster.etcdBinary == "etcd");

    auto ports =
        fromEnv({{"FAASD_CLUSTER_MEMBERS", "a=127.0.0.1:12379:12380,b=127.0.0.1:22379:22380"},
                 {"FAASD_ETCD_BIN", "/opt/etcd/etcd"}});
    REQUIRE(ports);
    CHECK(ports->cluster.members[1].clientPort == 22379);
    CHECK(ports->cluster.members[1].peerPort == 22380);
    CHECK(ports->cluster.members[1].clientUrl() == "http://127.0.0.1:22379");
    CHECK(ports->cluster.etcdBinary == "/opt/etcd/etcd");

    // Members run by faasd, and etcd reached elsewhere too: FAASD_CLUSTER_ETCD wins.
    auto both = fromEnv(
        {{"FAASD_CLUSTER_MEMBERS", "a=10.0.0.1"}, {"FAASD_CLUSTER_ETCD", "http://10.9.9.9:2379"}});
    REQUIRE(both);
    CHECK(both->cluster.etcd == std::vector<std::string>{"http://10.9.9.9:2379"});

    for (const auto& bad :
         {"10.0.0.1", "=10.0.0.1", "a=", "a=10.0.0.1:2379", "a=10.0.0.1:1:2:3", "a=10.0.0.1:0:2380",
          "a=10.0.0.1:2379:2379", "a=10.0.0.1:x:2380", "a b=10.0.0.1", "a=10.0.0.1,a=10.0.0.2",
          "a=10.0.0.1,b=10.0.0.1", "a=10.0.0.1:5:6,b=10.0.0.1:6:7", "a=-host", "a=ho_st",
          "A=10.0.0.1", "a_b=10.0.0.1", "-a=10.0.0.1", ","}) {
        INFO(bad);
        auto r = fromEnv({{"FAASD_CLUSTER_MEMBERS", bad}});
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::InvalidArgument);
        CHECK(r.error().message().starts_with("FAASD_CLUSTER_MEMBERS: "));
    }
    CHECK(fromEnv({{"FAASD_CLUSTER_MEMBERS", "a=10.0.0.1,a=10.0.0.2"}}).error().message() ==
          "FAASD_CLUSTER_MEMBERS: member a is named twice");
    CHECK(fromEnv({{"FAASD_CLUSTER_MEMBERS", "a=10.0.0.1,b=10.0.0.1"}}).error().message() ==
          "FAASD_CLUSTER_MEMBERS: 10.0.0.1:2379 is taken by two members");
}
