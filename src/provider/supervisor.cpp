// Keeping replicas alive: rebuilding the view from containerd and the CNI
// cache at start, following task exits, restarting crashed replicas with
// backoff, bringing replica counts back to the desired ones, rotating logs.

#include "common/log.hpp"
#include "network/netns.hpp"
#include "provider/containerd_provider.hpp"
#include "provider/labels.hpp"
#include "provider/probe.hpp"

#include <signal.h>

#include <charconv>

namespace faasd::provider {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

namespace {

const Logger log("provider");

bool isFunctionNamespace(const containerd::Namespace& ns) {
    auto it = ns.labels.find(kNamespaceLabel);
    return it != ns.labels.end() && (it->second == "1" || it->second == "true");
}

uint32_t parseCount(const Labels& labels, const char* key) {
    auto it = labels.find(key);
    uint32_t n = 0;
    if (it != labels.end()) {
        std::from_chars(it->second.data(), it->second.data() + it->second.size(), n);
    }
    return n;
}

} // namespace

void ContainerdProvider::wake() {
    std::lock_guard lock(mu_);
    woken_ = true;
    wake_.notify_all();
}

Result<void> ContainerdProvider::recover() {
    TRY_ASSIGN(auto namespaces, client_.namespaces().list());
    std::set<std::string> owned;
    std::vector<std::string> functionNamespaces;
    for (const auto& ns : namespaces) {
        if (isFunctionNamespace(ns)) {
            functionNamespaces.push_back(ns.name);
            recoverNamespace(ns.name, owned);
        }
    }
    // Attachments and namespaces no replica owns leaked from a crash.
    if (auto attachments = cni_->attachments()) {
        for (const auto& a : *attachments) {
            if (!owned.contains(a.id)) {
                log.info("recovery: detaching leaked attachment {}", a.id);
                (void)cni_->detach(a.id, a.netns);
                if (!a.netns.empty()) {
                    (void)network::deleteNetns(a.netns);
                }
            }
        }
    }
    if (auto names = network::listNetns(config_.network.netnsDir)) {
        for (const auto& name : *names) {
            bool ours = std::any_of(functionNamespaces.begin(), functionNamespaces.end(),
                                    [&](const auto& ns) { return name.starts_with(ns + "-"); });
            if (ours && !owned.contains(name)) {
                log.info("recovery: deleting leaked network namespace {}", name);
                (void)cni_->detach(name);
                (void)network::deleteNetns(config_.network.netnsDir / name);
            }
        }
    }
    return {};
}

void ContainerdProvider::recoverNamespace(const std::string& ns, std::set<std::string>& owned) {
    auto c = inNs(ns);
    auto containers = c.containers().list();
    if (!containers) {
        log.warn("recovery: listing containers in {}: {}", ns, containers.error().message());
        return;
    }
    std::map<Key, Function> found;
    for (const auto& ctr : *containers) {
        auto role = ctr.labels.find(kRoleLabel);
        if (role == ctr.labels.end() || role->second != kRoleFunction) {
            continue;
        }
        auto record = parseRecord(ctr.labels);
        if (!record) {
            log.warn("recovery: function {} in {}: {}", ctr.id, ns, record.error().message());
            continue;
        }
        found[{ns, ctr.id}] = Function{.deployment = record->deployment,
                                       .desired = record->replicas,
                                       .createdAt = ctr.createdAt,
                                       .reconcile = true};
    }
    for (const auto& ctr : *containers) {
        auto role = ctr.labels.find(kRoleLabel);
        auto fnLabel = ctr.labels.find(kFunctionLabel);
        if (role == ctr.labels.end() || role->second != kRoleReplica ||
            fnLabel == ctr.labels.end()) {
            continue;
        }
        const std::string& name = fnLabel->second;
        auto fn = found.find({ns, name});
        Replica r{.id = ctr.id, .cniId = ns + "-" + ctr.id};
        r.netns = (config_.network.netnsDir / r.cniId).string();
        auto attached = cni_->lookup(r.cniId);
        if (fn == found.end() || !attached || !*attached || !network::checkNetns(r.netns)) {
            log.info("recovery: removing replica {} of {}.{} (no function or no network)", ctr.id,
                     name, ns);
            destroyReplica(ns, name, ctr.id);
            continue;
        }
        r.ip = (*attached)->ip;
        r.restarts = parseCount(ctr.labels, kRestartsLabel);
        auto task = c.tasks().get(ctr.id);
        if (task && task->status == containerd::TaskStatus::Running) {
            r.pid = task->pid;
            r.state = probeReady(r.ip, 8080, 300ms) ? ReplicaState::Ready : ReplicaState::Starting;
        } else {
            log.info("recovery: replica {} of {}.{} is not running; restarting it", ctr.id, name,
                     ns);
            r.state = ReplicaState::Crashed;
            r.nextRestart = SteadyClock::now();
        }
        owned.insert(r.cniId);
        fn->second.replicas[r.id] = r;
    }
    std::lock_guard lock(mu_);
    for (auto& [key, fn] : found) {
        functions_[key] = std::move(fn);
    }
}

void ContainerdProvider::superviseEvents() {
    while (!stopping_) {
        auto stream = client_.events().subscribe(
            {R"(topic=="/tasks/exit")", R"(topic=="/tasks/oom")"});
        if (!stream) {
            log.warn("subscribing to containerd events: {}", stream.error().message());
            std::this_thread::sleep_for(500ms);
            continue;
        }
        containerd::EventStream* s = nullptr;
        {
            std::lock_guard lock(streamMu_);
            if (stopping_) {
                return;
            }
            stream_ = std::move(*stream);
            s = &*stream_;
        }
        for (;;) {
            auto event = s->next();
            if (!event || !*event) {
                break;
            }
            if (const auto* exit = std::get_if<containerd::TaskExitEvent>(&(*event)->payload)) {
                if (exit->id.empty() || exit->id == exit->containerId) {
                    onExit((*event)->ns, exit->containerId, exit->pid);
                }
            } else if (const auto* oom = std::get_if<containerd::TaskOomEvent>(&(*event)->payload)) {
                log.warn("replica {} in {} ran out of memory", oom->containerId, (*event)->ns);
            }
        }
        {
            std::lock_guard lock(streamMu_);
            stream_.reset();
        }
        if (!stopping_) {
            std::this_thread::sleep_for(200ms);
        }
    }
}

void ContainerdProvider::onExit(const std::string& ns, const std::string& id, uint32_t pid) {
    std::lock_guard lock(mu_);
    for (auto& [key, fn] : functions_) {
        if (key.first != ns) {
            continue;
        }
        auto it = fn.replicas.find(id);
        if (it == fn.replicas.end()) {
            continue;
        }
        auto& r = it->second;
        if (r.state == ReplicaState::Stopping || (r.pid != 0 && pid != 0 && pid != r.pid)) {
            return;
        }
        r.state = ReplicaState::Crashed;
        r.backoff = r.backoff.count() == 0 ? config_.restartBackoffMin
                                           : std::min(r.backoff * 2, config_.restartBackoffMax);
        r.nextRestart = SteadyClock::now() + r.backoff;
        log.warn("replica {} of {}.{} exited; restarting it in {} ms", id, key.second, ns,
                 r.backoff.count());
        woken_ = true;
        wake_.notify_all();
        return;
    }
}

void ContainerdProvider::reconcileLoop() {
    auto lastRotate = SteadyClock::now();
    while (!stopping_) {
        struct Work {
            Key key;
            std::string id;  // empty: reconcile the replica count
            ReplicaState state;
        };
        std::vector<Work> work;
        {
            std::unique_lock lock(mu_);
            wake_.wait_for(lock, 250ms, [&] { return woken_ || stopping_.load(); });
            woken_ = false;
            const auto now = SteadyClock::now();
            for (const auto& [key, fn] : functions_) {
                if (fn.reconcile) {
                    work.push_back({key, "", ReplicaState::Starting});
                }
                for (const auto& [id, r] : fn.replicas) {
                    if ((r.state == ReplicaState::Crashed && r.nextRestart <= now) ||
                        r.state == ReplicaState::Starting) {
                        work.push_back({key, id, r.state});
                    }
                }
            }
        }
        for (const auto& w : work) {
            if (stopping_) {
                return;
            }
            if (w.id.empty()) {
                reconcileFunction(w.key);
            } else if (w.state == ReplicaState::Crashed) {
                restartReplica(w.key, w.id);
            } else {
                probeStarting(w.key, w.id);
            }
        }
        if (SteadyClock::now() - lastRotate > 2s) {
            rotateLogs();
            sweepTasks();
            lastRotate = SteadyClock::now();
        }
    }
}

void ContainerdProvider::reconcileFunction(const Key& key) {
    auto op = opLock(key);
    std::unique_lock opGuard(*op, std::try_to_lock);
    if (!opGuard) {
        return;
    }
    uint64_t desired = 0;
    {
        std::lock_guard lock(mu_);
        auto it = functions_.find(key);
        if (it == functions_.end()) {
            return;
        }
        it->second.reconcile = false;
        desired = it->second.desired;
    }
    if (auto r = scaleLocked(key, desired); !r) {
        log.warn("bringing {}.{} back to {} replicas: {}", key.second, key.first, desired,
                 r.error().message());
    }
}

void ContainerdProvider::probeStarting(const Key& key, const std::string& id) {
    std::string ip;
    {
        std::lock_guard lock(mu_);
        auto fn = functions_.find(key);
        if (fn == functions_.end() || !fn->second.replicas.contains(id)) {
            return;
        }
        ip = fn->second.replicas[id].ip;
    }
    bool ready = probeReady(ip, 8080, 200ms);
    bool stopped = false;
    if (!ready) {
        auto task = inNs(key.first).tasks().get(id);
        stopped = !task || task->status == containerd::TaskStatus::Stopped;
    }
    std::lock_guard lock(mu_);
    auto fn = functions_.find(key);
    if (fn == functions_.end() || !fn->second.replicas.contains(id)) {
        return;
    }
    auto& r = fn->second.replicas[id];
    if (r.state != ReplicaState::Starting) {
        return;
    }
    if (ready) {
        r.state = ReplicaState::Ready;
    } else if (stopped) {
        r.state = ReplicaState::Crashed;
        r.nextRestart = SteadyClock::now();
    }
}

void ContainerdProvider::restartReplica(const Key& key, const std::string& id) {
    auto op = opLock(key);
    std::unique_lock opGuard(*op, std::try_to_lock);
    if (!opGuard) {
        return;
    }
    const auto& [ns, name] = key;
    Replica r;
    {
        std::lock_guard lock(mu_);
        auto fn = functions_.find(key);
        if (fn == functions_.end() || !fn->second.replicas.contains(id) ||
            fn->second.replicas[id].state != ReplicaState::Crashed) {
            return;
        }
        r = fn->second.replicas[id];
    }
    auto c = inNs(ns);
    if (auto task = c.tasks().get(id)) {
        if (task->status != containerd::TaskStatus::Stopped) {
            (void)c.tasks().kill(id, SIGKILL, true);
            (void)c.tasks().wait(id, 10s);
        }
        (void)c.tasks().remove(id);
    }
    auto restarted = [&]() -> Result<uint32_t> {
        TRY(network::checkNetns(r.netns));
        TRY_ASSIGN(auto pid, startTask(ns, name, r));
        r.pid = pid;
        TRY(waitReady(ns, r, SteadyClock::now() + config_.readinessTimeout));
        return pid;
    }();
    std::lock_guard lock(mu_);
    auto fn = functions_.find(key);
    if (fn == functions_.end() || !fn->second.replicas.contains(id)) {
        return;
    }
    auto& cur = fn->second.replicas[id];
    if (!restarted) {
        cur.backoff = std::min(std::max(cur.backoff * 2, config_.restartBackoffMin),
                               config_.restartBackoffMax);
        cur.nextRestart = SteadyClock::now() + cur.backoff;
        cur.pid = r.pid;
        log.warn("restarting replica {} of {}.{}: {}; next try in {} ms", id, name, ns,
                 restarted.error().message(), cur.backoff.count());
        return;
    }
    cur.pid = *restarted;
    cur.state = ReplicaState::Ready;
    cur.restarts += 1;
    log.info("restarted replica {} of {}.{} ({} restarts)", id, name, ns, cur.restarts);
    // Recorded on the container so it survives the provider.
    if (auto ctr = c.containers().get(id)) {
        ctr->labels[kRestartsLabel] = std::to_string(cur.restarts);
        (void)c.containers().update(*ctr, {"labels"});
    }
}

void ContainerdProvider::sweepTasks() {
    std::set<std::string> namespaces;
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, fn] : functions_) {
            namespaces.insert(key.first);
        }
    }
    for (const auto& ns : namespaces) {
        auto tasks = inNs(ns).tasks().list();
        if (!tasks) {
            continue;
        }
        std::map<std::string, containerd::Process> byId;
        for (const auto& t : *tasks) {
            byId[t.containerId] = t;
        }
        std::vector<std::pair<std::string, uint32_t>> dead;
        {
            std::lock_guard lock(mu_);
            for (const auto& [key, fn] : functions_) {
                if (key.first != ns) {
                    continue;
                }
                for (const auto& [id, r] : fn.replicas) {
                    auto t = byId.find(id);
                    if (r.state == ReplicaState::Ready &&
                        (t == byId.end() || (t->second.status == containerd::TaskStatus::Stopped &&
                                             t->second.pid == r.pid))) {
                        dead.emplace_back(id, r.pid);
                    }
                }
            }
        }
        for (const auto& [id, pid] : dead) {
            // Confirmed one by one: a restart may have run since the list.
            auto now = inNs(ns).tasks().get(id);
            if (now && now->status == containerd::TaskStatus::Running) {
                continue;
            }
            onExit(ns, id, pid);
        }
    }
}

void ContainerdProvider::rotateLogs() {
    std::error_code ec;
    for (auto it = fs::recursive_directory_iterator(config_.stateDir / "logs", ec);
         !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
        const auto& path = it->path();
        if (path.extension() != ".log" || !it->is_regular_file(ec)) {
            continue;
        }
        auto size = fs::file_size(path, ec);
        if (ec || size <= config_.maxLogBytes) {
            continue;
        }
        // The shim appends (O_APPEND), so truncating in place is safe.
        auto rotated = path;
        rotated += ".1";
        fs::copy_file(path, rotated, fs::copy_options::overwrite_existing, ec);
        fs::resize_file(path, 0, ec);
    }
}

} // namespace faasd::provider
