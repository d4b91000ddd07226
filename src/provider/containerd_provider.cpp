// The provider's construction, its view of functions (list, get, resolve)
// and info.

#include "provider/containerd_provider.hpp"

#include "api/validate.hpp"
#include "network/netns.hpp"
#include "provider/labels.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <sys/utsname.h>

namespace faasd::provider {

ContainerdProvider::ContainerdProvider(ProviderConfig config, containerd::Client client,
                                       network::Cni cni)
    : config_(std::move(config)), client_(std::move(client)),
      cni_(std::make_unique<network::Cni>(std::move(cni))), secrets_(config_.stateDir / "secrets"),
      usage_(config_.cgroupRoot) {}

std::vector<std::string> ContainerdProvider::cgroupsOf(const api::FunctionRef& key,
                                                       const Function& fn) const {
    std::vector<std::string> out;
    for (const auto& [id, r] : fn.replicas) {
        if (r.pid != 0) {
            out.push_back(fmt::format("{}/{}/{}", config_.cgroupParent, key.ns, id));
        }
    }
    return out;
}

Result<std::unique_ptr<ContainerdProvider>> ContainerdProvider::create(ProviderConfig config) {
    TRY_ASSIGN(auto client, containerd::Client::connect({.socket = config.containerdSocket}));
    TRY(withContext(client.version(), "starting the provider"));
    TRY(withContext(network::ensureConflist(config.network), "writing the CNI config"));
    if (config.enableIpForward) {
        TRY(network::enableIpForwarding());
    }
    TRY_ASSIGN(auto cni, withContext(network::Cni::load(config.network), "loading CNI"));
    std::error_code ec;
    std::filesystem::create_directories(config.stateDir, ec);
    if (ec) {
        return fail(Code::Internal, "creating {}: {}", config.stateDir.string(), ec.message());
    }
    auto ns = client.namespaces().get(config.defaultNamespace);
    if (!ns && ns.error().code() == Code::NotFound) {
        TRY(client.namespaces().create(config.defaultNamespace, {{kNamespaceLabel, "1"}}));
    } else if (!ns) {
        return fail(ns.error());
    } else if (ns->labels[kNamespaceLabel] != "1" && ns->labels[kNamespaceLabel] != "true") {
        auto labels = ns->labels;
        labels[kNamespaceLabel] = "1";
        TRY(client.namespaces().setLabels(config.defaultNamespace, labels));
    }
    std::unique_ptr<ContainerdProvider> p(
        new ContainerdProvider(std::move(config), std::move(client), std::move(cni)));
    TRY(withContext(p->recover(), "recovering functions"));
    p->eventsThread_ = std::thread([raw = p.get()] { raw->superviseEvents(); });
    p->reconcileThread_ = std::thread([raw = p.get()] { raw->reconcileLoop(); });
    return p;
}

ContainerdProvider::~ContainerdProvider() {
    stopping_ = true;
    {
        std::lock_guard lock(streamMu_);
        if (stream_) {
            stream_->cancel();
        }
    }
    wake();
    if (eventsThread_.joinable()) {
        eventsThread_.join();
    }
    if (reconcileThread_.joinable()) {
        reconcileThread_.join();
    }
}

std::shared_ptr<std::mutex> ContainerdProvider::opLock(const api::FunctionRef& key) {
    std::lock_guard lock(mu_);
    auto& m = opLocks_[key];
    if (!m) {
        m = std::make_shared<std::mutex>();
    }
    return m;
}

Result<void> ContainerdProvider::requireFunctionNamespace(const std::string& ns) const {
    TRY(api::validateName("namespace", ns));
    auto got = client_.namespaces().get(ns);
    if (!got) {
        if (got.error().code() == Code::NotFound) {
            return fail(Code::NotFound, "namespace {} not found", ns);
        }
        return fail(got.error());
    }
    auto it = got->labels.find(kNamespaceLabel);
    if (it == got->labels.end() || (it->second != "1" && it->second != "true")) {
        return fail(Code::FailedPrecondition, "namespace {} is not a function namespace", ns);
    }
    return {};
}

Result<void> ContainerdProvider::checkDeployment(const api::FunctionDeployment& d) const {
    TRY(validateDeployment(d));
    if (auto ns = requireFunctionNamespace(d.ns); !ns) {
        return fail(Code::FailedPrecondition, "{}", ns.error().message());
    }
    for (const auto& secret : d.secrets) {
        if (!secrets_.exists(d.ns, secret)) {
            return fail(Code::FailedPrecondition, "secret {} not found in namespace {}", secret,
                        d.ns);
        }
    }
    return {};
}

Result<std::vector<api::FunctionStatus>> ContainerdProvider::list(const std::string& nsIn) {
    const std::string ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    TRY(withContext(requireFunctionNamespace(ns), "listing functions"));
    std::vector<api::FunctionStatus> out;
    std::vector<std::vector<std::string>> cgroups;
    {
        std::lock_guard lock(mu_);
        // By name, as the API lists them.
        std::vector<const decltype(functions_)::value_type*> listed;
        for (const auto& entry : functions_) {
            if (entry.first.ns == ns) {
                listed.push_back(&entry);
            }
        }
        std::sort(listed.begin(), listed.end(),
                  [](auto* a, auto* b) { return a->first.name < b->first.name; });
        for (const auto* entry : listed) {
            const auto& [key, fn] = *entry;
            uint64_t ready = 0;
            for (const auto& [id, r] : fn.replicas) {
                ready += r.state == ReplicaState::Ready ? 1 : 0;
            }
            out.push_back(makeStatus(fn.deployment, fn.process, fn.parked ? 0 : fn.desired, ready,
                                     fn.createdAt));
            cgroups.push_back(cgroupsOf(key, fn));
        }
    }
    // Read outside the lock: the invoke path's resolve() takes it too.
    for (size_t i = 0; i < out.size(); ++i) {
        out[i].usage = usage_.measure(cgroups[i]);
    }
    return out;
}

Result<api::FunctionStatus> ContainerdProvider::get(const std::string& name,
                                                    const std::string& nsIn) {
    const std::string_view ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    api::FunctionStatus status;
    std::vector<std::string> cgroups;
    {
        std::lock_guard lock(mu_);
        auto it = functions_.find(api::FunctionRefView{name, ns});
        if (it == functions_.end()) {
            return fail(Code::NotFound, "function {} not found in namespace {}", name, ns);
        }
        uint64_t ready = 0;
        for (const auto& [id, r] : it->second.replicas) {
            ready += r.state == ReplicaState::Ready ? 1 : 0;
        }
        const auto& fn = it->second;
        status =
            makeStatus(fn.deployment, fn.process, fn.parked ? 0 : fn.desired, ready, fn.createdAt);
        cgroups = cgroupsOf(it->first, fn);
    }
    status.usage = usage_.measure(cgroups);
    return status;
}

Result<std::vector<Endpoint>> ContainerdProvider::resolve(const std::string& name,
                                                          const std::string& nsIn) {
    const std::string_view ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    std::lock_guard lock(mu_);
    auto it = functions_.find(api::FunctionRefView{name, ns});
    if (it == functions_.end()) {
        return fail(Code::NotFound, "function {} not found in namespace {}", name, ns);
    }
    std::vector<Endpoint> out;
    for (const auto& [id, r] : it->second.replicas) {
        if (r.state == ReplicaState::Ready) {
            out.push_back(
                {.instance = id, .ip = r.ip, .port = 8080, .timeout = it->second.timeout});
        }
    }
    return out;
}

UpstreamTimeout ContainerdProvider::upstreamTimeout(const std::string& name,
                                                    const std::string& nsIn) {
    const std::string_view ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    std::lock_guard lock(mu_);
    auto it = functions_.find(api::FunctionRefView{name, ns});
    return it == functions_.end() ? UpstreamTimeout{} : it->second.timeout;
}

Result<std::vector<Replica>> ContainerdProvider::replicas(const std::string& name,
                                                          const std::string& ns) {
    std::lock_guard lock(mu_);
    auto it = functions_.find(api::FunctionRefView{name, ns});
    if (it == functions_.end()) {
        return fail(Code::NotFound, "function {} not found in namespace {}", name, ns);
    }
    std::vector<Replica> out;
    for (const auto& [id, r] : it->second.replicas) {
        out.push_back(r);
    }
    return out;
}

api::ProviderInfo ContainerdProvider::info() {
    utsname u{};
    ::uname(&u);
    return api::ProviderInfo{
        .provider = config_.providerName,
        .orchestration = "containerd",
        .providerVersion = {.sha = config_.sha, .release = config_.version},
        .gatewayVersion = {.sha = config_.sha, .release = config_.version},
        .arch = u.machine,
    };
}

} // namespace faasd::provider
