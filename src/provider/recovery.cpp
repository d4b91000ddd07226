// Recovery: a new provider rebuilds its view from containerd (record and
// replica containers, task states) and the CNI result cache, and cleans
// what a crash leaked.

#include "network/netns.hpp"
#include "provider/containerd_provider.hpp"
#include "provider/labels.hpp"
#include "provider/logger.hpp"
#include "provider/probe.hpp"
#include "provider/timeout.hpp"

#include <algorithm>
#include <charconv>

namespace faasd::provider {

using namespace std::chrono_literals;

namespace {

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
                kLog.info("recovery: detaching leaked attachment {}", a.id);
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
                kLog.info("recovery: deleting leaked network namespace {}", name);
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
        kLog.warn("recovery: listing containers in {}: {}", ns, containers.error().message());
        return;
    }
    api::FunctionMap<Function> found;
    for (const auto& ctr : *containers) {
        auto role = ctr.labels.find(kRoleLabel);
        if (role == ctr.labels.end() || role->second != kRoleFunction) {
            continue;
        }
        auto record = parseRecord(ctr.labels);
        if (!record) {
            kLog.warn("recovery: function {} in {}: {}", ctr.id, ns, record.error().message());
            continue;
        }
        found[api::FunctionRef{ctr.id, ns}] =
            Function{.deployment = record->deployment,
                     .process = record->process,
                     .desired = record->replicas,
                     .createdAt = ctr.createdAt,
                     .reconcile = true,
                     .timeout = upstreamTimeoutOf(record->deployment).value_or(UpstreamTimeout{})};
    }
    for (const auto& ctr : *containers) {
        auto role = ctr.labels.find(kRoleLabel);
        auto fnLabel = ctr.labels.find(kFunctionLabel);
        if (role == ctr.labels.end() || role->second != kRoleReplica ||
            fnLabel == ctr.labels.end()) {
            continue;
        }
        const std::string& name = fnLabel->second;
        auto fn = found.find(api::FunctionRefView{name, ns});
        Replica r{.id = ctr.id, .cniId = ns + "-" + ctr.id};
        r.netns = (config_.network.netnsDir / r.cniId).string();
        auto attached = cni_->lookup(r.cniId);
        if (fn == found.end() || !attached || !*attached || !network::checkNetns(r.netns)) {
            kLog.info("recovery: removing replica {} of {} (no function or no network)", ctr.id,
                      api::FunctionRefView{name, ns});
            destroyReplica(ns, name, ctr.id);
            continue;
        }
        r.ip = (*attached)->ip;
        r.restarts = parseCount(ctr.labels, kRestartsLabel);
        if (!fn->second.process) {
            // A record from before kProcessLabel: its replicas' spec says.
            fn->second.process = specProcess(ctr.spec);
        }
        auto task = c.tasks().get(ctr.id);
        if (task && (task->status == containerd::TaskStatus::Paused ||
                     task->status == containerd::TaskStatus::Pausing)) {
            // Parked before the restart: stays parked until a wake.
            r.pid = task->pid;
            r.state = ReplicaState::Paused;
            fn->second.parked = true;
        } else if (task && task->status == containerd::TaskStatus::Running) {
            r.pid = task->pid;
            r.state = probeReady(r.ip, 8080, 300ms) ? ReplicaState::Ready : ReplicaState::Starting;
        } else {
            kLog.info("recovery: replica {} of {} is not running; restarting it", ctr.id,
                      api::FunctionRefView{name, ns});
            r.state = ReplicaState::Crashed;
            r.nextRestart = std::chrono::steady_clock::now();
        }
        owned.insert(r.cniId);
        fn->second.replicas[r.id] = r;
    }
    std::lock_guard lock(mu_);
    for (auto& [key, fn] : found) {
        functions_[key] = std::move(fn);
    }
}

} // namespace faasd::provider
