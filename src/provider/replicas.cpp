// Replica lifecycle: what a replica is made from, starting one (snapshot,
// netns + CNI, container, task), waiting until it answers, stopping it,
// and removing every trace of it.

#include "common/files.hpp"
#include "common/random.hpp"
#include "common/scope_exit.hpp"
#include "network/blocked_routes.hpp"
#include "network/netns.hpp"
#include "provider/containerd_provider.hpp"
#include "provider/labels.hpp"
#include "provider/logger.hpp"
#include "provider/probe.hpp"
#include "provider/userns.hpp"

#include <fstream>
#include <signal.h>
#include <sstream>

namespace faasd::provider {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

// The directories holding an image's files, topmost first, from the
// mounts of a view snapshot (a bind of one layer, or an overlay).
std::vector<std::string> layerDirs(const std::vector<containerd::Mount>& mounts) {
    std::vector<std::string> out;
    for (const auto& m : mounts) {
        if (m.type == "bind") {
            out.push_back(m.source);
            continue;
        }
        for (const auto& opt : m.options) {
            if (opt.starts_with("upperdir=")) {
                out.insert(out.begin(), opt.substr(9));
            } else if (opt.starts_with("lowerdir=")) {
                std::istringstream in(opt.substr(9));
                for (std::string dir; std::getline(in, dir, ':');) {
                    out.push_back(dir);
                }
            }
        }
    }
    return out;
}

std::optional<std::string> findInLayers(const std::vector<std::string>& dirs, const char* rel) {
    for (const auto& dir : dirs) {
        if (auto text = readFile(fs::path(dir) / rel)) {
            return *text;
        }
    }
    return std::nullopt;
}

std::vector<std::string> hostNameservers(const fs::path& resolvConf) {
    std::vector<std::string> out;
    std::ifstream in(resolvConf);
    for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string key, value;
        if (words >> key >> value && key == "nameserver" && !value.starts_with("127.")) {
            out.push_back(value);
        }
    }
    return out;
}

std::string lastLines(const fs::path& path, size_t n) {
    auto text = readFile(path);
    if (!text || text->empty()) {
        return "(no output)";
    }
    std::string s = *text;
    while (!s.empty() && s.back() == '\n') {
        s.pop_back();
    }
    size_t pos = s.size();
    for (size_t i = 0; i < n && pos != std::string::npos && pos > 0; ++i) {
        pos = s.rfind('\n', pos - 1);
    }
    return pos == std::string::npos ? s : s.substr(pos + 1);
}

} // namespace

fs::path ContainerdProvider::functionDir(const std::string& ns, const std::string& name) const {
    return config_.stateDir / "functions" / ns / name;
}

fs::path ContainerdProvider::logDir(const std::string& ns, const std::string& name) const {
    return config_.stateDir / "logs" / ns / name;
}

Result<std::shared_ptr<const ReplicaTemplate>>
ContainerdProvider::makeTemplate(const api::FunctionDeployment& d) {
    StageTimer timer(startStages_);
    auto c = inNs(d.ns);
    TRY_ASSIGN(auto img,
               withContext(image::ensureImage(c, d.image, config_.pullPolicy, config_.registry),
                           fmt::format("getting image {}", d.image)));
    auto t = std::make_shared<ReplicaTemplate>();
    t->imageName = img.record.name;
    t->config = img.config;
    t->process = runProcess(t->config, d);
    TRY_ASSIGN(t->chainId, withContext(image::unpackImage(c, img, config_.snapshotter),
                                       fmt::format("unpacking image {}", d.image)));
    std::optional<std::string> passwd, group;
    if (userNeedsLookup(t->config.user)) {
        const std::string key = "faasd-view-" + randomHex(6);
        TRY_ASSIGN(auto lease, c.leases().create("", {}, std::chrono::hours(1)));
        ScopeExit leaseGuard([&] { (void)c.leases().remove(lease.id); });
        auto leased = c.withLease(lease.id);
        TRY_ASSIGN(auto mounts,
                   withContext(leased.snapshots(config_.snapshotter).view(key, t->chainId),
                               "reading the image's users"));
        ScopeExit viewGuard([&] { (void)c.snapshots(config_.snapshotter).remove(key); });
        auto dirs = layerDirs(mounts);
        passwd = findInLayers(dirs, "etc/passwd");
        group = findInLayers(dirs, "etc/group");
    }
    TRY_ASSIGN(t->user, withContext(resolveUser(t->config.user, passwd, group),
                                    fmt::format("image {}", d.image)));

    const auto dir = functionDir(d.ns, d.service);
    TRY(makeOwnedDir(dir, 0700, 0, 0));
    auto servers =
        config_.nameservers.empty() ? hostNameservers(config_.hostResolvConf) : config_.nameservers;
    std::string resolv;
    for (const auto& s : servers) {
        resolv += "nameserver " + s + "\n";
    }
    t->resolvConf = (dir / "resolv.conf").string();
    TRY(writeFileAtomic(t->resolvConf, resolv, 0644));
    if (!d.secrets.empty()) {
        t->secretsDir = (dir / ("secrets-" + randomHex(3))).string();
        User owner = t->user;
        if (config_.userns) { // the function's user as the host sees it
            owner = {owner.uid + config_.userns->hostStart, owner.gid + config_.userns->hostStart};
        }
        TRY(withContext(secrets_.materialize(d.ns, d.secrets, t->secretsDir, owner),
                        "copying secrets"));
    }
    timer.lap(StartStage::Image);
    return std::shared_ptr<const ReplicaTemplate>(std::move(t));
}

Result<Replica> ContainerdProvider::startReplica(const api::FunctionDeployment& d,
                                                 const ReplicaTemplate& t) {
    StageTimer timer(startStages_);
    Replica r;
    r.id = d.service + "-" + randomHex(3);
    r.cniId = d.ns + "-" + r.id;
    const auto what = fmt::format("starting replica {}", r.id);
    bool done = false;
    ScopeExit guard([&] {
        if (!done) {
            destroyReplica(d.ns, d.service, r.id);
        }
    });
    // Until the container references it, a lease keeps the new snapshot
    // from containerd's garbage collector.
    auto plain = inNs(d.ns);
    TRY_ASSIGN(auto lease, withContext(plain.leases().create("", {}, std::chrono::hours(1)),
                                       what + ": taking a lease"));
    ScopeExit leaseGuard([&] { (void)plain.leases().remove(lease.id); });
    auto c = plain.withLease(lease.id);
    std::string parent = t.chainId;
    if (config_.userns) {
        TRY_ASSIGN(parent,
                   withContext(remappedSnapshot(c.snapshots(config_.snapshotter), t.chainId,
                                                *config_.userns, config_.stateDir / "userns"),
                               what + ": shifting its image's owners"));
    }
    TRY(withContext(c.snapshots(config_.snapshotter).prepare(r.id, parent),
                    what + ": preparing its snapshot"));
    timer.lap(StartStage::Snapshot);
    TRY_ASSIGN(r.netns, withContext(network::createNetns(config_.network.netnsDir, r.cniId),
                                    what + ": creating its network namespace"));
    TRY_ASSIGN(auto attached, withContext(cni_->attach(r.cniId, r.netns), what));
    r.ip = attached.ip;
    TRY(withContext(network::addProhibitRoutes(r.netns, config_.network.blocked),
                    what + ": refusing its blocked destinations"));
    timer.lap(StartStage::Network);

    const auto dir = functionDir(d.ns, d.service) / "replicas" / r.id;
    TRY(makeOwnedDir(dir, 0700, 0, 0));
    const auto hosts = dir / "hosts";
    TRY(writeFileAtomic(hosts,
                        fmt::format("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost "
                                    "ip6-loopback\n{}\t{}\n",
                                    r.ip, d.service),
                        0644));
    SpecInput in{
        .id = r.id,
        .hostname = d.service,
        .image = &t.config,
        .deployment = &d,
        .user = t.user,
        .netnsPath = r.netns,
        .cgroupsPath = fmt::format("{}/{}/{}", config_.cgroupParent, d.ns, r.id),
        .resolvConfPath = t.resolvConf,
        .hostsPath = hosts.string(),
        .secretsDir = t.secretsDir,
        .pidsLimit = config_.pidsLimit,
        .userns = config_.userns,
    };
    TRY_ASSIGN(auto spec, withContext(generateSpec(in), what));
    containerd::Container container{
        .id = r.id,
        .labels = replicaLabels(d),
        .image = t.imageName,
        .runtime = config_.runtime,
        .spec = spec,
        .snapshotter = config_.snapshotter,
        .snapshotKey = r.id,
    };
    TRY(withContext(c.containers().create(container), what + ": creating its container"));
    timer.lap(StartStage::Container);
    TRY_ASSIGN(r.pid, withContext(startTask(d.ns, d.service, r, &timer), what));
    done = true;
    return r;
}

Result<uint32_t> ContainerdProvider::startTask(const std::string& ns, const std::string& name,
                                               const Replica& r, StageTimer* timer) {
    auto c = inNs(ns);
    TRY_ASSIGN(auto mounts, withContext(c.snapshots(config_.snapshotter).mounts(r.id),
                                        "reading its snapshot's mounts"));
    const auto logs = logDir(ns, name);
    std::error_code ec;
    fs::create_directories(logs, ec);
    const std::string uri = "file://" + (logs / (r.id + ".log")).string();
    TRY(withContext(
        c.tasks().create({.containerId = r.id, .rootfs = mounts, .io = {.out = uri, .err = uri}}),
        "creating its task"));
    if (timer != nullptr) {
        timer->lap(StartStage::Task);
    }
    TRY_ASSIGN(auto pid, withContext(c.tasks().start(r.id), "starting its task"));
    if (timer != nullptr) {
        timer->lap(StartStage::Start);
    }
    return pid;
}

Result<void> ContainerdProvider::waitReady(const std::string& ns, const Replica& r,
                                           std::chrono::steady_clock::time_point deadline) {
    auto c = inNs(ns);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (probeReady(r.ip, 8080, std::clamp(left, 10ms, 1000ms))) {
            return {};
        }
        auto task = c.tasks().get(r.id);
        if (task && task->status == containerd::TaskStatus::Stopped) {
            const auto name = r.id.substr(0, r.id.rfind('-'));
            return fail(Code::FailedPrecondition,
                        "replica {} exited with status {} before it answered on {}:8080; its "
                        "output ends: {}",
                        r.id, task->exitStatus, r.ip,
                        lastLines(logDir(ns, name) / (r.id + ".log"), 5));
        }
        if (stopping_ || std::chrono::steady_clock::now() >= deadline) {
            return fail(Code::Timeout, "replica {} did not answer on {}:8080 within {} ms", r.id,
                        r.ip, config_.readinessTimeout.count());
        }
        std::this_thread::sleep_for(config_.readinessInterval);
    }
}

Result<std::vector<Replica>> ContainerdProvider::startReady(const api::FunctionDeployment& d,
                                                            const ReplicaTemplate& t, uint64_t n) {
    const auto deadline = std::chrono::steady_clock::now() + config_.readinessTimeout;
    std::vector<Result<Replica>> results(n, fail(Code::Internal, "not started"));
    std::vector<std::thread> threads;
    for (uint64_t i = 0; i < n; ++i) {
        threads.emplace_back([&, i] {
            auto r = startReplica(d, t);
            if (r) {
                StageTimer timer(startStages_);
                auto ready = waitReady(d.ns, *r, deadline);
                if (ready) {
                    timer.lap(StartStage::Ready);
                }
                if (!ready) {
                    destroyReplica(d.ns, d.service, r->id);
                    r = fail(ready.error());
                } else {
                    r->state = ReplicaState::Ready;
                }
            }
            results[i] = std::move(r);
        });
    }
    for (auto& th : threads) {
        th.join();
    }
    std::vector<Replica> out;
    std::optional<Error> error;
    for (auto& r : results) {
        if (r) {
            out.push_back(std::move(*r));
        } else if (!error) {
            error = r.error();
        }
    }
    if (error) {
        for (const auto& r : out) {
            destroyReplica(d.ns, d.service, r.id);
        }
        return fail(*error);
    }
    return out;
}

void ContainerdProvider::stopReplica(const std::string& ns, const std::string& name,
                                     const Replica& r) {
    auto tasks = inNs(ns).tasks();
    // A frozen task cannot take SIGTERM (nor, with the cgroup v1 freezer,
    // SIGKILL): thaw it first.
    if (auto task = tasks.get(r.id); task && (task->status == containerd::TaskStatus::Paused ||
                                              task->status == containerd::TaskStatus::Pausing)) {
        (void)tasks.resume(r.id);
    }
    if (tasks.kill(r.id, SIGTERM)) {
        if (!tasks.wait(r.id, config_.stopGracePeriod)) {
            (void)tasks.kill(r.id, SIGKILL, true);
        }
    }
    destroyReplica(ns, name, r.id);
}

void ContainerdProvider::destroyReplica(const std::string& ns, const std::string& name,
                                        const std::string& id) {
    auto c = inNs(ns);
    auto warn = [&](const char* what, const Result<void>& r) {
        if (!r && r.error().code() != Code::NotFound) {
            kLog.warn("removing replica {}: {}: {}", id, what, r.error().message());
        }
    };
    if (auto task = c.tasks().get(id)) {
        if (task->status == containerd::TaskStatus::Paused ||
            task->status == containerd::TaskStatus::Pausing) {
            (void)c.tasks().resume(id);
        }
        if (task->status != containerd::TaskStatus::Stopped) {
            (void)c.tasks().kill(id, SIGKILL, true);
            (void)c.tasks().wait(id, 10s);
        }
        auto removed = c.tasks().remove(id);
        warn("deleting its task", removed ? Result<void>{} : fail(removed.error()));
    }
    warn("deleting its container", c.containers().remove(id));
    warn("deleting its snapshot", c.snapshots(config_.snapshotter).remove(id));
    const std::string cniId = ns + "-" + id;
    const auto netns = config_.network.netnsDir / cniId;
    warn("detaching it from the network", cni_->detach(cniId, netns.string()));
    warn("deleting its network namespace", network::deleteNetns(netns));
    std::error_code ec;
    fs::remove_all(functionDir(ns, name) / "replicas" / id, ec);
    fs::remove(logDir(ns, name) / (id + ".log"), ec);
    fs::remove(logDir(ns, name) / (id + ".log.1"), ec);
}

} // namespace faasd::provider
