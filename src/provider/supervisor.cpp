// Keeping replicas alive: following task exits, restarting crashed replicas
// with backoff, bringing replica counts back to the desired ones, sweeping
// for missed exits, rotating logs.

#include "network/netns.hpp"
#include "provider/containerd_provider.hpp"
#include "provider/labels.hpp"
#include "provider/logger.hpp"
#include "provider/probe.hpp"

#include <charconv>
#include <signal.h>

namespace faasd::provider {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using SteadyClock = std::chrono::steady_clock;

void ContainerdProvider::wake() {
    std::lock_guard lock(mu_);
    woken_ = true;
    wake_.notify_all();
}

void ContainerdProvider::superviseEvents() {
    while (!stopping_) {
        auto stream =
            client_.events().subscribe({R"(topic=="/tasks/exit")", R"(topic=="/tasks/oom")"});
        if (!stream) {
            kLog.warn("subscribing to containerd events: {}", stream.error().message());
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
            } else if (const auto* oom =
                           std::get_if<containerd::TaskOomEvent>(&(*event)->payload)) {
                kLog.warn("replica {} in {} ran out of memory", oom->containerId, (*event)->ns);
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
        if (key.ns != ns) {
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
        kLog.warn("replica {} of {} exited; restarting it in {} ms", id, key, r.backoff.count());
        woken_ = true;
        wake_.notify_all();
        return;
    }
}

void ContainerdProvider::reconcileLoop() {
    auto lastRotate = SteadyClock::now();
    while (!stopping_) {
        struct Work {
            api::FunctionRef key;
            std::string id; // empty: reconcile the replica count
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

void ContainerdProvider::reconcileFunction(const api::FunctionRef& key) {
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
        if (it->second.parked) {
            return; // a wake or a scale brings it back
        }
    }
    if (auto r = scaleLocked(key, desired); !r) {
        kLog.warn("bringing {} back to {} replicas: {}", key, desired, r.error().message());
    }
}

void ContainerdProvider::probeStarting(const api::FunctionRef& key, const std::string& id) {
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
        auto task = inNs(key.ns).tasks().get(id);
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

void ContainerdProvider::restartReplica(const api::FunctionRef& key, const std::string& id) {
    auto op = opLock(key);
    std::unique_lock opGuard(*op, std::try_to_lock);
    if (!opGuard) {
        return;
    }
    const auto& [name, ns] = key;
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
        kLog.warn("restarting replica {} of {}: {}; next try in {} ms", id, key,
                  restarted.error().message(), cur.backoff.count());
        return;
    }
    cur.pid = *restarted;
    cur.state = ReplicaState::Ready;
    cur.restarts += 1;
    kLog.info("restarted replica {} of {} ({} restarts)", id, key, cur.restarts);
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
            namespaces.insert(key.ns);
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
                if (key.ns != ns) {
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
