// The containerd client against a real containerd (started by the harness):
// every service the product uses, a real container run end to end, bad
// input, and nothing left behind.

#include "catch_result.hpp"
#include "common/files.hpp"
#include "common/random.hpp"
#include "common/subprocess.hpp"
#include "containerd/client.hpp"
#include "containerd_daemon.hpp"
#include "image/digest.hpp"
#include "image/store.hpp"
#include "test_image.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <signal.h>
#include <thread>

using namespace faasd;
using namespace std::chrono_literals;
namespace cd = faasd::containerd;

namespace {

// A client in a namespace of its own, purged when the test ends.
struct Ns {
    std::string name = "faasd-it-" + randomHex(4);
    cd::Client client;
    Ns() : client(cd::Client::connect({.socket = testing::daemon().socket(), .ns = name}).value()) {
        REQUIRE(client.namespaces().create(name));
    }
    ~Ns() {
        testing::daemon().purgeNamespace(name);
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
        (void)client.namespaces().remove(name);
    }
};

// Everything containerd holds in the namespace, for "nothing left" checks.
struct Inventory {
    size_t containers, tasks, snapshots, leases, content, images, ingests;
};

Inventory inventory(const cd::Client& c) {
    return Inventory{c.containers().list().value().size(),     c.tasks().list().value().size(),
                     c.snapshots().list().value().size(),      c.leases().list().value().size(),
                     c.content().list().value().size(),        c.images().list().value().size(),
                     c.content().listStatuses().value().size()};
}

} // namespace

TEST_CASE("version answers", "[containerd]") {
    auto client = cd::Client::connect({.socket = testing::daemon().socket()});
    REQUIRE(client);
    auto v = client->version();
    REQUIRE(v);
    CHECK_FALSE(v->version.empty());
    CHECK_FALSE(v->revision.empty());
}

TEST_CASE("faasd version prints both versions, or one line for a missing socket",
          "[containerd][cli]") {
    const char* bin = std::getenv("FAASD_BIN");
    REQUIRE(bin != nullptr);
    auto ok =
        run({.argv = {bin, "version", "--containerd-socket", testing::daemon().socket()}}, "", 20s);
    REQUIRE(ok);
    CHECK(ok->status == 0);
    CHECK(ok->out.find("faasd version ") != std::string::npos);
    CHECK(ok->out.find("containerd version ") != std::string::npos);

    auto missing =
        run({.argv = {bin, "version", "--containerd-socket", "/nonexistent/c.sock"}}, "", 20s);
    REQUIRE(missing);
    CHECK(missing->status != 0);
    CHECK(missing->err.find("/nonexistent/c.sock") != std::string::npos);
    CHECK(std::count(missing->err.begin(), missing->err.end(), '\n') == 1);
}

TEST_CASE("namespaces: create with labels, update, list, delete", "[containerd]") {
    auto client = cd::Client::connect({.socket = testing::daemon().socket()}).value();
    std::string name = "faasd-it-ns-" + randomHex(4);
    auto created = client.namespaces().create(name, {{"openfaas", "1"}});
    REQUIRE(created);
    CHECK(created->labels.at("openfaas") == "1");

    auto again = client.namespaces().create(name);
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::AlreadyExists);

    REQUIRE(client.namespaces().setLabels(name, {{"openfaas", "true"}, {"team", "a"}}));
    auto got = client.namespaces().get(name);
    REQUIRE(got);
    CHECK(got->labels == cd::Labels{{"openfaas", "true"}, {"team", "a"}});

    auto all = client.namespaces().list().value();
    CHECK(std::any_of(all.begin(), all.end(), [&](auto& n) { return n.name == name; }));

    REQUIRE(client.namespaces().remove(name));
    auto gone = client.namespaces().get(name);
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code() == Code::NotFound);
    CHECK(gone.error().message().find(name) != std::string::npos);
}

TEST_CASE("content: write, read back, resume, reject a bad digest", "[containerd]") {
    Ns ns;
    auto& c = ns.client;
    std::string data(3 << 20, 'a'); // three chunks
    for (size_t i = 0; i < data.size(); i += 4096) {
        data[i] = static_cast<char>('a' + (i / 4096) % 26);
    }
    std::string digest = image::sha256Digest(data);
    auto lease = c.leases().create("content-test").value();
    auto leased = c.withLease(lease.id);

    SECTION("a blob round-trips and a second write of it succeeds") {
        cd::StringSource src(data);
        REQUIRE(leased.content().write(
            {.ref = "blob-1", .digest = digest, .size = static_cast<int64_t>(data.size())}, src));
        auto info = c.content().info(digest);
        REQUIRE(info);
        CHECK(info->size == static_cast<int64_t>(data.size()));
        CHECK(c.content().readAll(digest).value() == data);
        // Partial read.
        std::string part;
        REQUIRE(c.content().read(
            digest,
            [&](std::string_view chunk) -> Result<void> {
                part.append(chunk);
                return {};
            },
            4096, 10));
        CHECK(part == data.substr(4096, 10));
        cd::StringSource again(data);
        CHECK(leased.content().write(
            {.ref = "blob-2", .digest = digest, .size = static_cast<int64_t>(data.size())}, again));
    }

    SECTION("a wrong digest fails, names the digests and leaves no ingest") {
        std::string wrong = image::sha256Digest("something else");
        cd::StringSource src(data);
        auto r = leased.content().write(
            {.ref = "blob-bad", .digest = wrong, .size = static_cast<int64_t>(data.size())}, src);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::FailedPrecondition);
        CHECK(r.error().message().find(wrong) != std::string::npos);
        CHECK(c.content().listStatuses().value().empty());
        CHECK_FALSE(c.content().info(wrong));
    }

    SECTION("a write of the wrong size fails") {
        cd::StringSource src(data);
        auto r = leased.content().write({.ref = "blob-size", .digest = digest, .size = 10}, src);
        REQUIRE_FALSE(r);
        CHECK(c.content().listStatuses().value().empty());
    }

    SECTION("an interrupted write resumes from where it stopped") {
        // A source that fails after the first chunk, like a dropped download.
        struct Flaky : cd::ByteSource {
            std::string_view data;
            size_t pos = 0;
            bool broken = true;
            Result<void> seek(int64_t off) override {
                pos = static_cast<size_t>(off);
                return {};
            }
            Result<size_t> read(std::span<char> buf) override {
                if (broken && pos >= (1 << 20)) {
                    return fail(Code::Unavailable, "connection dropped");
                }
                size_t n = std::min(buf.size(), data.size() - pos);
                std::copy_n(data.data() + pos, n, buf.data());
                pos += n;
                return n;
            }
        } flaky;
        flaky.data = data;
        auto first = leased.content().write(
            {.ref = "blob-resume", .digest = digest, .size = static_cast<int64_t>(data.size())},
            flaky);
        REQUIRE_FALSE(first);
        CHECK(first.error().message().find("connection dropped") != std::string::npos);
        auto status = c.content().status("blob-resume");
        REQUIRE(status);
        CHECK(status->offset == (1 << 20));
        flaky.broken = false;
        REQUIRE(leased.content().write(
            {.ref = "blob-resume", .digest = digest, .size = static_cast<int64_t>(data.size())},
            flaky));
        CHECK(c.content().readAll(digest).value() == data);
    }

    SECTION("reading or deleting unknown content names the digest") {
        std::string unknown = image::sha256Digest("never written");
        auto r = c.content().readAll(unknown);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::NotFound);
        CHECK(r.error().message().find(unknown) != std::string::npos);
        auto d = c.content().remove(unknown);
        REQUIRE_FALSE(d);
        CHECK(d.error().code() == Code::NotFound);
    }

    REQUIRE(c.leases().remove(lease.id, true));
    CHECK(c.content().list().value().empty());
}

TEST_CASE("bad input gives errors that name the thing", "[containerd]") {
    Ns ns;
    auto& c = ns.client;
    auto img = c.images().get("docker.io/library/nope:latest");
    REQUIRE_FALSE(img);
    CHECK(img.error().code() == Code::NotFound);
    CHECK(img.error().message().find("docker.io/library/nope:latest") != std::string::npos);

    auto resolved = image::resolveImage(c, "docker.io/library/nope:latest");
    REQUIRE_FALSE(resolved);
    CHECK(resolved.error().code() == Code::NotFound);

    auto task = c.tasks().start("no-such-container");
    REQUIRE_FALSE(task);
    CHECK(task.error().code() == Code::NotFound);
    CHECK(task.error().message().find("no-such-container") != std::string::npos);

    auto container = c.containers().get("no-such-container");
    REQUIRE_FALSE(container);
    CHECK(container.error().code() == Code::NotFound);

    cd::StringSource src("x");
    auto badDigest = c.content().write({.ref = "r", .digest = "sha256:xyz", .size = 1}, src);
    REQUIRE_FALSE(badDigest);
    CHECK(badDigest.error().message().find("sha256:xyz") != std::string::npos);

    auto snap = c.snapshots().stat("no-such-snapshot");
    REQUIRE_FALSE(snap);
    CHECK(snap.error().code() == Code::NotFound);

    // A namespace nobody created: reads find nothing there.
    auto other = c.withNamespace("faasd-it-missing-" + randomHex(3));
    auto inOther = other.images().get("docker.io/library/busybox:latest");
    REQUIRE_FALSE(inOther);
    CHECK(inOther.error().code() == Code::NotFound);
    auto badNs = c.withNamespace("Not A Namespace!").containers().list();
    REQUIRE_FALSE(badNs);
    CHECK(badNs.error().message().find("Not A Namespace!") != std::string::npos);

    auto unknownContainer = c.containers().create(
        {.id = "x", .spec = "{}", .snapshotter = "overlayfs", .snapshotKey = "missing"});
    // containerd accepts a dangling snapshot key; its mounts are what fail.
    REQUIRE(unknownContainer);
    auto mounts = c.snapshots().mounts("missing");
    REQUIRE_FALSE(mounts);
    CHECK(mounts.error().code() == Code::NotFound);
    CHECK(mounts.error().message().find("missing") != std::string::npos);
    REQUIRE(c.containers().remove("x"));
}

TEST_CASE("a container runs from an image built here and leaves nothing behind",
          "[containerd][run]") {
    Ns ns;
    auto& c = ns.client;
    auto events = c.events().subscribe({"topic~=\"/tasks/\""});
    REQUIRE(events);

    const std::string name = "faasd.test/hello:1";
    auto stored =
        testing::storeBusyboxImage(c, name, {"sh", "-c", "echo hello from $(id -u); exit 3"});
    REQUIRE(stored);

    auto resolved = image::resolveImage(c, name);
    REQUIRE(resolved);
    CHECK(resolved->config.cmd.at(0) == "sh");
    CHECK(resolved->config.diffIds.size() == 1);

    auto lease = c.leases().create("", {}, 1h);
    REQUIRE(lease);
    auto leased = c.withLease(lease->id);
    auto top = image::unpackImage(leased, *resolved);
    REQUIRE(top);
    CHECK(*top == resolved->config.diffIds[0]);
    // Unpacking again finds the snapshot and does nothing.
    CHECK(image::unpackImage(leased, *resolved).value() == *top);

    const std::string id = "hello-" + randomHex(3);
    auto mounts = leased.snapshots().prepare(id + "-rw", *top);
    REQUIRE(mounts);
    REQUIRE(leased.containers().create(
        {.id = id,
         .labels = {{"com.openfaas.function", "hello"}, {"multi", "line one\nline two"}},
         .image = name,
         .spec = testing::minimalSpec(id, resolved->config.cmd),
         .snapshotter = "overlayfs",
         .snapshotKey = id + "-rw"}));
    auto container = c.containers().get(id);
    REQUIRE(container);
    CHECK(container->labels.at("multi") == "line one\nline two");
    CHECK(container->image == name);

    auto logs = TempDir::create("faasd-it-logs-").value();
    auto logPath = logs.path() / "out.log";
    auto uri = "file://" + logPath.string();
    auto pid = c.tasks().create({.containerId = id, .rootfs = *mounts, .io = {"", uri, uri}});
    REQUIRE(pid);
    CHECK(*pid > 0);
    auto before = c.tasks().get(id);
    REQUIRE(before);
    CHECK(before->status == cd::TaskStatus::Created);
    REQUIRE(c.tasks().start(id));
    auto exit = c.tasks().wait(id, 30s);
    REQUIRE(exit);
    CHECK(exit->code == 3);

    // The shim may still be flushing the log file when wait returns.
    std::string out;
    CHECK(waitUntil(
        [&] {
            out = readFile(logPath).value_or("");
            return out.find('\n') != std::string::npos;
        },
        10s));
    CHECK(out == "hello from 0\n");

    // The exit arrived as an event.
    bool sawExit = false;
    for (int i = 0; i < 10 && !sawExit; ++i) {
        auto ev = events->next();
        REQUIRE(ev);
        REQUIRE(ev->has_value());
        if (auto* e = std::get_if<cd::TaskExitEvent>(&(*ev)->payload)) {
            if (e->containerId == id) {
                sawExit = true;
                CHECK(e->exitStatus == 3);
                CHECK((*ev)->ns == ns.name);
            }
        }
    }
    CHECK(sawExit);
    events->cancel();

    auto deleted = c.tasks().remove(id);
    REQUIRE(deleted);
    CHECK(deleted->code == 3);
    REQUIRE(c.containers().remove(id));
    REQUIRE(c.snapshots().remove(id + "-rw"));
    REQUIRE(c.images().remove(name));
    REQUIRE(c.leases().remove(lease->id, true));

    // Garbage collection runs after the lease is gone: wait for it.
    Inventory left{};
    waitUntil(
        [&] {
            left = inventory(c);
            return left.snapshots == 0 && left.content == 0;
        },
        10s, 100ms); // what is left is checked below, item by item
    INFO("containers " << left.containers << " tasks " << left.tasks << " snapshots "
                       << left.snapshots << " leases " << left.leases << " content " << left.content
                       << " images " << left.images << " ingests " << left.ingests);
    CHECK(left.containers == 0);
    CHECK(left.tasks == 0);
    CHECK(left.snapshots == 0);
    CHECK(left.leases == 0);
    CHECK(left.content == 0);
    CHECK(left.images == 0);
    CHECK(left.ingests == 0);
}

TEST_CASE("a long-running task can be paused, resumed, listed and killed", "[containerd][run]") {
    Ns ns;
    auto& c = ns.client;
    const std::string name = "faasd.test/sleep:1";
    REQUIRE(testing::storeBusyboxImage(c, name, {"sleep", "300"}));
    auto resolved = image::resolveImage(c, name).value();
    auto top = image::unpackImage(c, resolved).value();
    const std::string id = "sleeper-" + randomHex(3);
    // A lease keeps the new snapshot from the collector until the
    // container holds it.
    auto lease = c.leases().create("", {}, std::chrono::hours(1));
    REQUIRE(lease);
    auto leased = c.withLease(lease->id);
    auto mounts = leased.snapshots().prepare(id, top).value();
    REQUIRE(leased.containers().create({.id = id,
                                        .image = name,
                                        .spec = testing::minimalSpec(id, resolved.config.cmd),
                                        .snapshotter = "overlayfs",
                                        .snapshotKey = id}));
    REQUIRE(c.leases().remove(lease->id));
    REQUIRE(c.tasks().create({.containerId = id, .rootfs = mounts}));
    REQUIRE(c.tasks().start(id));

    auto pids = c.tasks().pids(id);
    REQUIRE(pids);
    CHECK(pids->size() == 1);
    REQUIRE(c.tasks().pause(id));
    CHECK(c.tasks().get(id)->status == cd::TaskStatus::Paused);
    REQUIRE(c.tasks().resume(id));
    CHECK(c.tasks().get(id)->status == cd::TaskStatus::Running);
    auto listed = c.tasks().list().value();
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].containerId == id);

    auto timeout = c.tasks().wait(id, 200ms);
    REQUIRE_FALSE(timeout);
    CHECK(timeout.error().code() == Code::Timeout);

    REQUIRE(c.tasks().kill(id, SIGKILL));
    auto exit = c.tasks().wait(id, 30s);
    REQUIRE(exit);
    CHECK(exit->code == 128 + SIGKILL);
    REQUIRE(c.tasks().remove(id));
    REQUIRE(c.containers().remove(id));
    // Once no container holds it, the collector may take the snapshot first.
    auto removed = c.snapshots().remove(id);
    CHECK((removed || removed.error().code() == Code::NotFound));
    CHECK_FALSE(c.snapshots().stat(id));
    REQUIRE(c.images().remove(name, true));
}

TEST_CASE("the client reconnects after containerd restarts", "[containerd][restart]") {
    auto client = cd::Client::connect({.socket = testing::daemon().socket()}).value();
    REQUIRE(client.version());
    REQUIRE(testing::daemon().restart());
    auto v = client.version();
    REQUIRE(v);
    CHECK_FALSE(v->version.empty());
}
