#include "catch_result.hpp"
#include "daemon/etcd_member.hpp"
#include "etcd/client.hpp"
#include "etcd_cluster.hpp"
#include "wait.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fmt/format.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

using namespace faasd;
using namespace faasd::daemon;
using namespace std::chrono_literals;

namespace {

// n free loopback ports, all different.
std::vector<int> freePorts(size_t n) {
    std::vector<int> ports;
    while (ports.size() < n) {
        auto port = testing::freeLoopbackPort();
        REQUIRE(port);
        if (std::find(ports.begin(), ports.end(), *port) == ports.end()) {
            ports.push_back(*port);
        }
    }
    return ports;
}

// The configuration of node n1 of members "n1=127.0.0.1:C:P,...".
config::DaemonConfig nodeConfig(const TempDir& dir, const std::string& members) {
    auto c = config::fromEnv({{"FAASD_STATE_DIR", dir.path().string()},
                              {"FAASD_CLUSTER_MEMBERS", members},
                              {"FAASD_CLUSTER_NODE", "n1"},
                              {"FAASD_ETCD_BIN", "/usr/bin/etcd"}});
    REQUIRE(c);
    return *c;
}

// Whether the member at url stores and reads a key.
bool serves(const std::string& url, const std::string& key) {
    auto client = etcd::Client::connect({.endpoints = {url}, .dialTimeout = 1s});
    if (!client || !(*client)->put(key, "v")) {
        return false;
    }
    auto got = (*client)->get(key);
    return got && *got && (*got)->value == "v";
}

bool running(pid_t pid) {
    return pid > 0 && ::kill(pid, 0) == 0;
}

// A pause that never asks to stop, for at most `calls` seconds.
PauseOrStop boundedPause(int calls) {
    auto left = std::make_shared<int>(calls);
    return [left](std::chrono::milliseconds d) {
        std::this_thread::sleep_for(d); // the waiter's own pace
        return --*left < 0;
    };
}

} // namespace

TEST_CASE("faasd runs a one-member cluster's etcd: restarted when killed, adopted, stopped",
          "[daemon][etcd]") {
    auto dir = TempDir::create("faasd-it-member-");
    REQUIRE(dir);
    const auto ports = freePorts(2);
    const auto c = nodeConfig(*dir, fmt::format("n1=127.0.0.1:{}:{}", ports[0], ports[1]));
    const auto url = c.cluster.members[0].clientUrl();
    const auto pidFile = dir->path() / "etcd" / "pid";

    auto member = startEtcdMember(c);
    REQUIRE(member);
    const pid_t first = (*member)->pid();
    CHECK(running(first));
    CHECK(std::filesystem::exists(pidFile));
    CHECK(std::filesystem::exists(dir->path() / "etcd" / "etcd.log"));
    auto formed = waitForEtcdCluster(c, boundedPause(30));
    REQUIRE(formed);
    REQUIRE(*formed);
    CHECK(serves(url, "/it/first"));
    CHECK(std::filesystem::exists(dir->path() / "etcd" / "data" / "member"));

    // kill -9: the supervisor starts it again, on the same data.
    REQUIRE(::kill(first, SIGKILL) == 0);
    REQUIRE(waitUntil(
        [&] {
            const auto now = (*member)->pid();
            return now != 0 && now != first && serves(url, "/it/second");
        },
        30s, 100ms));
    const pid_t second = (*member)->pid();
    auto client = etcd::Client::connect({.endpoints = {url}});
    REQUIRE(client);
    CHECK((*client)->get("/it/first").value().has_value());

    // The supervisor dropped without stopping it (a daemon killed -9):
    // the next one adopts it.
    (*member)->abandon();
    member->reset();
    CHECK(running(second));
    CHECK(std::filesystem::exists(pidFile));
    auto adopted = startEtcdMember(c);
    REQUIRE(adopted);
    CHECK((*adopted)->pid() == second);
    CHECK(serves(url, "/it/adopted"));

    // Stopped with its supervisor: gone, and its record with it.
    adopted->reset();
    int status = 0;
    CHECK(::waitpid(second, &status, 0) == second); // still this process's child
    // SIGTERM, not SIGKILL: etcd cleans up, then dies of the signal it raises again.
    CHECK((WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM));
    CHECK_FALSE(std::filesystem::exists(pidFile));
}

TEST_CASE("a member waits for its cluster's quorum until asked to stop", "[daemon][etcd]") {
    auto dir = TempDir::create("faasd-it-member-");
    REQUIRE(dir);
    const auto ports = freePorts(4);
    const auto c = nodeConfig(*dir, fmt::format("n1=127.0.0.1:{}:{},n2=127.0.0.1:{}:{}", ports[0],
                                                ports[1], ports[2], ports[3]));

    auto member = startEtcdMember(c); // n2 never starts
    REQUIRE(member);
    CHECK(membersListening(c.cluster.members) == 1);
    auto formed = waitForEtcdCluster(c, boundedPause(3));
    REQUIRE(formed);
    CHECK_FALSE(*formed); // no leader: waited until told to stop
    const pid_t pid = (*member)->pid();
    member->reset();
    CHECK_FALSE(running(pid));
}

TEST_CASE("a member's port taken by someone else stops the start", "[daemon][etcd]") {
    auto dir = TempDir::create("faasd-it-member-");
    REQUIRE(dir);
    const auto ports = freePorts(2);
    const auto c = nodeConfig(*dir, fmt::format("n1=127.0.0.1:{}:{}", ports[0], ports[1]));

    UniqueFd other(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(ports[0]));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(other.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(other.get(), 4) == 0);

    auto member = startEtcdMember(c);
    REQUIRE_FALSE(member);
    CHECK(member.error().code() == Code::FailedPrecondition);
    CHECK(member.error().message().find(fmt::format("127.0.0.1:{}", ports[0])) !=
          std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir->path() / "etcd" / "pid"));
}
