#include "../../support/wait.hpp"
#include "common/files.hpp"
#include "network/netns.hpp"
#include "real_network.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <thread>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;
using namespace std::chrono_literals;

namespace {

// What a netns sees on ifName: "10.199.0.2/24" lines.
std::string addressesIn(const std::string& netns, const std::string& ifName) {
    return shOk("nsenter --net=" + netns + " ip -4 -o addr show dev " + ifName);
}

// GETs url with curl (never through a proxy), retrying while the listener
// comes up.
std::string httpGet(const std::string& prefix, const std::string& url) {
    RunOutput last;
    if (waitUntil(
            [&] {
                last = sh(prefix + "curl -sS --noproxy '*' --max-time 2 " + url);
                return last.status == 0;
            },
            10s, 100ms)) {
        return last.out;
    }
    FAIL("GET " << url << " failed: " << last.err);
    return {};
}

// Everything the test network may have left behind, asserted absent.
void requireNothingLeft(const RealNetwork& net) {
    auto netns = listNetns(net.config().netnsDir);
    REQUIRE(netns);
    CHECK(netns->empty());
    CHECK(net.leases().empty());
    CHECK(net.bridgePorts().empty());
    CHECK(net.natRules().empty());
    CHECK(RealNetwork::natChains() == net.natChainsBefore());
    CHECK(net.filterRules().empty());
    auto cni = net.load();
    auto attachments = cni.attachments();
    REQUIRE(attachments);
    CHECK(attachments->empty());
}

} // namespace

TEST_CASE("replicas get their own IPs, reach each other, and leave nothing behind", "[cni][real]") {
    RealNetwork net;
    auto cni = net.load();
    const std::vector<std::string> ids = {"fn-0", "fn-1", "fn-2"};
    std::vector<std::string> paths;
    for (const auto& id : ids) {
        paths.push_back(net.netns(id));
    }

    // Attached at once, as concurrent deploys would.
    std::vector<Result<AttachResult>> results(ids.size(), fail(Code::Internal, "not run"));
    {
        std::vector<std::thread> threads;
        for (size_t i = 0; i < ids.size(); ++i) {
            threads.emplace_back([&, i] { results[i] = cni.attach(ids[i], paths[i]); });
        }
        for (auto& t : threads) {
            t.join();
        }
    }
    std::set<std::string> ips;
    for (size_t i = 0; i < ids.size(); ++i) {
        INFO(ids[i]);
        REQUIRE(results[i]);
        const auto& r = *results[i];
        CHECK(r.ip.starts_with(RealNetwork::kSubnetPrefix));
        CHECK(r.ip != "10.199.0.1");
        CHECK(r.prefixLength == 24);
        CHECK(r.gateway == "10.199.0.1");
        ips.insert(r.ip);
        // The namespace holds the address on eth0, and its lo is up.
        CHECK(addressesIn(paths[i], "eth0").find(r.ip + "/24") != std::string::npos);
        CHECK(shOk("nsenter --net=" + paths[i] + " ip -o link show lo").find("UP") !=
              std::string::npos);
        CHECK(cni.check(ids[i]));
    }
    CHECK(ips.size() == ids.size());
    // The firewall plugins ran one at a time: one jump, not one per replica.
    CHECK(shOk("iptables -S FORWARD | grep -c -- '-j CNI-FORWARD' || true") == "1\n");
    CHECK(net.leases().size() == ids.size());
    CHECK(net.bridgePorts().size() == ids.size());
    auto listed = cni.attachments();
    REQUIRE(listed);
    REQUIRE(listed->size() == ids.size());
    CHECK((*listed)[1].ip == results[1]->ip);

    {
        // An HTTP server in fn-0, reached from the host and from fn-1.
        auto www = TempDir::create("faasd-www-");
        REQUIRE(www);
        REQUIRE(writeFileAtomic(www->path() / "hello.txt", "hello from fn-0\n"));
        auto server = Subprocess::spawn({
            .argv = {"nsenter", "--net=" + paths[0], "/bin/busybox", "httpd", "-f", "-p", "8080",
                     "-h", www->path().string()},
            .out = Stdio::Null,
            .err = Stdio::Null,
        });
        REQUIRE(server);
        const auto url = "http://" + results[0]->ip + ":8080/hello.txt";
        CHECK(httpGet("", url) == "hello from fn-0\n");
        CHECK(httpGet("nsenter --net=" + paths[1] + " ", url) == "hello from fn-0\n");
        // And ping, host to fn-2 and fn-2 to its gateway.
        shOk("/bin/busybox ping -c 1 -W 2 " + results[2]->ip);
        shOk("nsenter --net=" + paths[2] + " /bin/busybox ping -c 1 -W 2 10.199.0.1");
        // The server is killed and reaped here.
    }
    // While attached, the masquerade rules are there to find.
    CHECK(net.natRules().size() >= ids.size());

    for (size_t i = 0; i < ids.size(); ++i) {
        REQUIRE(cni.detach(ids[i], paths[i]));
        REQUIRE(deleteNetns(paths[i]));
    }
    requireNothingLeft(net);

    shOk(std::string("ip link del ") + RealNetwork::kBridge);
    CHECK(RealNetwork::hostLinks() == net.linksBefore());
}

TEST_CASE("detaching twice is fine and a missing namespace is a clear error", "[cni][real]") {
    RealNetwork net;
    auto cni = net.load();
    auto path = net.netns("fn-twice");
    auto attached = cni.attach("fn-twice", path);
    REQUIRE(attached);
    REQUIRE(cni.detach("fn-twice", path));
    REQUIRE(cni.detach("fn-twice", path));
    REQUIRE(cni.detach("fn-twice"));

    const auto missing = (net.config().netnsDir / "no-such-ns").string();
    auto refused = cni.attach("fn-missing", missing);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == Code::NotFound);
    CHECK(refused.error().message() ==
          "attaching fn-missing to faasdtest0: network namespace " + missing + " does not exist");
    REQUIRE(deleteNetns(path));
    requireNothingLeft(net);
}

TEST_CASE("an attachment leaked by a crash is found after a restart and cleaned", "[cni][real]") {
    RealNetwork net;
    auto path = net.netns("fn-leak");
    std::string ip;
    {
        auto before = net.load();
        auto attached = before.attach("fn-leak", path);
        REQUIRE(attached);
        ip = attached->ip;
        // The daemon dies here: no detach.
    }
    auto after = net.load();
    auto leaked = after.attachments();
    REQUIRE(leaked);
    REQUIRE(leaked->size() == 1);
    CHECK((*leaked)[0].id == "fn-leak");
    CHECK((*leaked)[0].ip == ip);
    CHECK((*leaked)[0].netns == path);
    CHECK(net.leases() == std::vector<std::string>{ip});
    CHECK_FALSE(net.natRules().empty());

    REQUIRE(after.detach("fn-leak"));
    REQUIRE(deleteNetns(path));
    requireNothingLeft(net);
}

TEST_CASE("CHECK notices an attachment that was tampered with", "[cni][real]") {
    RealNetwork net;
    auto cni = net.load();
    auto path = net.netns("fn-check");
    REQUIRE(cni.attach("fn-check", path));
    REQUIRE(cni.check("fn-check"));

    shOk("nsenter --net=" + path + " ip route del default");
    auto broken = cni.check("fn-check");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message().starts_with("checking fn-check on faasdtest0: bridge plugin: "));

    REQUIRE(cni.detach("fn-check"));
    REQUIRE(deleteNetns(path));
    requireNothingLeft(net);
}
