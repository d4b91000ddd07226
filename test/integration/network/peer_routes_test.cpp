#include "common/unique_fd.hpp"
#include "network/netns.hpp"
#include "network/peer_routes.hpp"
#include "real_network.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;

namespace Catch {
template <> struct StringMaker<PeerRoute> {
    static std::string convert(const PeerRoute& peer) { return peer.str(); }
};
} // namespace Catch

namespace {

// A network namespace of the test's own, which the test's thread enters for
// the length of the test: peer routes are kept in the calling thread's
// namespace. It holds a veth pair, fdpeer0 (10.231.0.1/24) and fdpeer1,
// both up, so 10.231.0.0/24 is on a link. On destruction, even after a
// failed assertion, the thread goes back to its own namespace and this one
// is deleted with all its links and routes.
class PeerNetns {
public:
    PeerNetns() : dir_(TempDir::create("faasd-peer-routes-it-").value()) {}
    ~PeerNetns() {
        if (home_ && ::setns(home_.get(), CLONE_NEWNET) != 0) {
            // The rest of the tests would run in the wrong namespace.
            std::perror("returning to the test's own network namespace");
            std::abort();
        }
        if (!path_.empty()) {
            (void)deleteNetns(path_);
        }
    }
    PeerNetns(const PeerNetns&) = delete;
    PeerNetns& operator=(const PeerNetns&) = delete;

    void enter() {
        auto made = createNetns(dir_.path() / "netns", "peer-routes");
        REQUIRE(made);
        path_ = *made;
        shOk(in("ip link add fdpeer0 type veth peer name fdpeer1") + " && " +
             in("ip addr add 10.231.0.1/24 dev fdpeer0") + " && " + in("ip link set fdpeer1 up") +
             " && " + in("ip link set fdpeer0 up"));
        home_ = UniqueFd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
        REQUIRE(home_);
        UniqueFd ns(::open(path_.c_str(), O_RDONLY | O_CLOEXEC));
        REQUIRE(ns);
        REQUIRE(::setns(ns.get(), CLONE_NEWNET) == 0);
    }

    // command (an `ip` command line) run in this namespace.
    std::string in(const std::string& command) const {
        return "nsenter --net=" + path_ + " " + command;
    }
    // command run in the namespace the test came from.
    std::string onHost(const std::string& command) const {
        return fmt::format("nsenter --net=/proc/{}/fd/{} {}", ::getpid(), home_.get(), command);
    }
    // The namespace's main table, as `ip route` prints it.
    std::string routes() const { return shOk(in("ip route show")); }

private:
    TempDir dir_;
    std::string path_;
    UniqueFd home_;
};

PeerRoute peer(const char* subnet, const char* via) {
    return {.subnet = parseIpv4Net(subnet).value(), .via = parseIpv4Net(via).value().address};
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("peer routes go via the node's address, marked as faasd's", "[peer-routes]") {
    PeerNetns netns;
    netns.enter();
    CHECK(listPeerRoutes().value().empty());

    REQUIRE(syncPeerRoutes({peer("10.232.2.0/24", "10.231.0.12")}));
    CHECK(listPeerRoutes().value() == std::vector<PeerRoute>{peer("10.232.2.0/24", "10.231.0.12")});
    auto routes = netns.routes();
    INFO(routes);
    CHECK(has(routes, "10.232.2.0/24 via 10.231.0.12 dev fdpeer0 proto 250"));
    CHECK(shOk(netns.in("ip route show proto 250")) ==
          "10.232.2.0/24 via 10.231.0.12 dev fdpeer0 \n");

    // The same set again changes nothing.
    REQUIRE(syncPeerRoutes({peer("10.232.2.0/24", "10.231.0.12")}));
    CHECK(netns.routes() == routes);

    // Only the test's namespace has them.
    CHECK_FALSE(has(shOk(netns.onHost("ip route show")), "10.232.2.0/24"));
}

TEST_CASE("a changed set of nodes replaces and removes their routes", "[peer-routes]") {
    PeerNetns netns;
    netns.enter();
    REQUIRE(syncPeerRoutes(
        {peer("10.232.2.0/24", "10.231.0.12"), peer("10.232.3.0/24", "10.231.0.13")}));
    CHECK(listPeerRoutes().value().size() == 2);

    // Node 2 moved to .22, node 3 left, node 4 joined.
    REQUIRE(syncPeerRoutes(
        {peer("10.232.4.0/24", "10.231.0.14"), peer("10.232.2.0/24", "10.231.0.22")}));
    CHECK(listPeerRoutes().value() == std::vector<PeerRoute>{peer("10.232.2.0/24", "10.231.0.22"),
                                                             peer("10.232.4.0/24", "10.231.0.14")});
    auto routes = netns.routes();
    INFO(routes);
    CHECK(has(routes, "10.232.2.0/24 via 10.231.0.22 dev fdpeer0 proto 250"));
    CHECK(has(routes, "10.232.4.0/24 via 10.231.0.14 dev fdpeer0 proto 250"));
    CHECK_FALSE(has(routes, "10.231.0.12"));
    CHECK_FALSE(has(routes, "10.232.3.0"));
}

TEST_CASE("routes faasd did not make are left alone", "[peer-routes]") {
    PeerNetns netns;
    netns.enter();
    shOk(netns.in("ip route add 10.233.0.0/24 via 10.231.0.13"));
    // Left by an earlier run: faasd's mark, a node no longer wanted.
    shOk(netns.in("ip route add 10.232.9.0/24 via 10.231.0.19 proto 250"));

    REQUIRE(syncPeerRoutes({peer("10.232.2.0/24", "10.231.0.12")}));
    auto routes = netns.routes();
    INFO(routes);
    CHECK(has(routes, "10.233.0.0/24 via 10.231.0.13 dev fdpeer0 \n"));
    CHECK(has(routes, "10.232.2.0/24 via 10.231.0.12 dev fdpeer0 proto 250"));
    CHECK_FALSE(has(routes, "10.232.9.0"));

    // A wanted subnet someone else routes already: an error, and their route stays.
    shOk(netns.in("ip route add 10.232.5.0/24 via 10.231.0.15"));
    auto taken = syncPeerRoutes(
        {peer("10.232.2.0/24", "10.231.0.12"), peer("10.232.5.0/24", "10.231.0.12")});
    REQUIRE_FALSE(taken);
    CHECK(taken.error().code() == Code::FailedPrecondition);
    INFO(taken.error().message());
    CHECK(has(taken.error().message(), "route to 10.232.5.0/24 via 10.231.0.12"));
    CHECK(has(taken.error().message(), "faasd did not make"));
    CHECK(has(netns.routes(), "10.232.5.0/24 via 10.231.0.15 dev fdpeer0 \n"));

    // None wanted: faasd's go, the others stay.
    REQUIRE(syncPeerRoutes({}));
    CHECK(listPeerRoutes().value().empty());
    CHECK(shOk(netns.in("ip route show proto 250")).empty());
    routes = netns.routes();
    CHECK(has(routes, "10.233.0.0/24 via 10.231.0.13 dev fdpeer0 \n"));
    CHECK(has(routes, "10.232.5.0/24 via 10.231.0.15 dev fdpeer0 \n"));
    CHECK(has(routes, "10.231.0.0/24 dev fdpeer0 proto kernel scope link src 10.231.0.1"));
}

TEST_CASE("a via address on no link fails, naming subnet and via", "[peer-routes]") {
    PeerNetns netns;
    netns.enter();
    shOk(netns.in("ip route add 10.233.0.0/24 via 10.231.0.13"));

    // 10.233.0.7 is routed, through a gateway, but on no link of the host.
    auto offLink =
        syncPeerRoutes({peer("10.232.7.0/24", "10.233.0.7"), peer("10.232.2.0/24", "10.231.0.12")});
    REQUIRE_FALSE(offLink);
    INFO(offLink.error().message());
    CHECK(offLink.error().code() == Code::FailedPrecondition);
    CHECK(has(offLink.error().message(), "route to 10.232.7.0/24 via 10.233.0.7: 10.233.0.7 is "
                                         "not reachable on a link of this host"));
    // The routes to the other nodes are made all the same.
    CHECK(listPeerRoutes().value() == std::vector<PeerRoute>{peer("10.232.2.0/24", "10.231.0.12")});

    auto noVia = syncPeerRoutes({{.subnet = parseIpv4Net("10.232.8.0/24").value(), .via = 0}});
    REQUIRE_FALSE(noVia);
    CHECK(noVia.error().code() == Code::InvalidArgument);
    // Refused before anything changed.
    CHECK(listPeerRoutes().value().size() == 1);
}
