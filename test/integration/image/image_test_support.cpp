#include "image_test_support.hpp"

#include "catch_result.hpp"
#include "common/files.hpp"
#include "common/random.hpp"
#include "common/scope_exit.hpp"
#include "containerd_daemon.hpp"
#include "test_image.hpp"
#include "wait.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>

namespace faasd::testing {

using namespace std::chrono_literals;

Ns::Ns()
    : name("faasd-it-" + randomHex(4)),
      client(containerd::Client::connect({.socket = daemon().socket(), .ns = name}).value()) {
    REQUIRE(client.namespaces().create(name));
}

Ns::~Ns() {
    daemon().purgeNamespace(name);
    if (auto images = client.images().list()) {
        for (const auto& img : *images) {
            (void)client.images().remove(img.name, true);
        }
    }
    if (auto leases = client.leases().list()) {
        for (const auto& l : *leases) {
            (void)client.leases().remove(l.id, true);
        }
    }
    waitForEmpty(client);
    (void)client.namespaces().remove(name);
}

void waitForEmpty(const containerd::Client& c) {
    // The callers check what is left, item by item.
    waitUntil(
        [&] {
            auto content = c.content().list();
            auto snapshots = c.snapshots().list();
            return content && content->empty() && snapshots && snapshots->empty();
        },
        10s, 100ms);
}

void checkNothingLeft(const containerd::Client& c) {
    waitForEmpty(c);
    CHECK(c.images().list().value().empty());
    CHECK(c.leases().list().value().empty());
    CHECK(c.content().list().value().empty());
    CHECK(c.content().listStatuses().value().empty());
    CHECK(c.snapshots().list().value().empty());
    CHECK(c.containers().list().value().empty());
    CHECK(c.tasks().list().value().empty());
}

Result<RunResult> runImage(const containerd::Client& c, const image::ResolvedImage& image) {
    TRY_ASSIGN(auto lease, c.leases().create("", {}, std::chrono::hours(1)));
    ScopeExit dropLease([&] { (void)c.leases().remove(lease.id, true); });
    auto leased = c.withLease(lease.id);
    TRY_ASSIGN(auto top, image::unpackImage(leased, image));
    const std::string id = "run-" + randomHex(3);
    TRY_ASSIGN(auto mounts, leased.snapshots().prepare(id, top));
    ScopeExit dropSnapshot([&] { (void)c.snapshots().remove(id); });
    std::vector<std::string> args = image.config.entrypoint;
    args.insert(args.end(), image.config.cmd.begin(), image.config.cmd.end());
    TRY(leased.containers().create({.id = id,
                                    .image = image.record.name,
                                    .spec = minimalSpec(id, args),
                                    .snapshotter = "overlayfs",
                                    .snapshotKey = id}));
    ScopeExit dropContainer([&] { (void)c.containers().remove(id); });
    TRY_ASSIGN(auto logs, TempDir::create("faasd-it-run-"));
    const auto log = logs.path() / "out.log";
    const auto uri = "file://" + log.string();
    TRY(c.tasks().create({.containerId = id, .rootfs = mounts, .io = {"", uri, uri}}));
    ScopeExit dropTask([&] {
        (void)c.tasks().kill(id, 9);
        (void)c.tasks().wait(id, 10s);
        (void)c.tasks().remove(id);
    });
    TRY(c.tasks().start(id));
    TRY_ASSIGN(auto exit, c.tasks().wait(id, 30s));
    RunResult out{exit.code, ""};
    // The shim may still be flushing the log when wait returns; the callers
    // check the output.
    waitUntil(
        [&] {
            out.output = readFile(log).value_or("");
            return out.output.find('\n') != std::string::npos;
        },
        10s, 20ms);
    return out;
}

int closedPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), len);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd); // bound but never listening, and now released
    return ntohs(addr.sin_port);
}

} // namespace faasd::testing
