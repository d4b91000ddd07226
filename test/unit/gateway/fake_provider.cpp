#include "fake_provider.hpp"

#include "../../support/wait.hpp" // also built into benchmarks without test/support

#include <chrono>

namespace faasd::gateway::test {

namespace {

std::string key(const std::string& name, const std::string& ns) {
    return name + "." + ns;
}

} // namespace

void FakeProvider::setEndpoints(const std::string& name, const std::string& ns,
                                std::vector<provider::Endpoint> eps) {
    std::lock_guard lock(mutex);
    endpoints[key(name, ns)] = std::move(eps);
}

void FakeProvider::addFunction(const std::string& name, const std::string& ns,
                               const std::string& image) {
    std::lock_guard lock(mutex);
    api::FunctionDeployment d;
    d.service = name;
    d.ns = ns;
    d.image = image;
    functions[key(name, ns)] = d;
    replicas[key(name, ns)] = 1;
}

Result<void> FakeProvider::deploy(const api::FunctionDeployment& d) {
    std::lock_guard lock(mutex);
    lastNamespace = d.ns;
    if (functions.count(key(d.service, d.ns))) {
        return fail(Code::AlreadyExists, "function {} already exists", d.service);
    }
    functions[key(d.service, d.ns)] = d;
    replicas[key(d.service, d.ns)] = 1;
    return {};
}

Result<void> FakeProvider::update(const api::FunctionDeployment& d) {
    std::lock_guard lock(mutex);
    lastNamespace = d.ns;
    if (!functions.count(key(d.service, d.ns))) {
        return fail(Code::NotFound, "function {} not found", d.service);
    }
    functions[key(d.service, d.ns)] = d;
    return {};
}

Result<void> FakeProvider::remove(const std::string& name, const std::string& ns) {
    std::lock_guard lock(mutex);
    lastNamespace = ns;
    if (functions.erase(key(name, ns)) == 0) {
        return fail(Code::NotFound, "function {} not found", name);
    }
    return {};
}

Result<std::vector<api::FunctionStatus>> FakeProvider::list(const std::string& ns) {
    std::lock_guard lock(mutex);
    lastNamespace = ns;
    std::vector<api::FunctionStatus> out;
    for (const auto& [k, d] : functions) {
        if (d.ns != ns) {
            continue;
        }
        api::FunctionStatus s;
        s.name = d.service;
        s.ns = d.ns;
        s.image = d.image;
        s.envProcess = d.envProcess;
        s.envVars = d.envVars;
        s.labels = d.labels;
        s.annotations = d.annotations;
        s.replicas = replicas[k];
        s.availableReplicas = replicas[k];
        s.createdAt = std::chrono::system_clock::now();
        out.push_back(s);
    }
    return out;
}

Result<api::FunctionStatus> FakeProvider::get(const std::string& name, const std::string& ns) {
    TRY_ASSIGN(auto all, list(ns));
    for (auto& s : all) {
        if (s.name == name) {
            return s;
        }
    }
    return fail(Code::NotFound, "function {} not found", name);
}

Result<void> FakeProvider::scale(const std::string& name, const std::string& ns, uint64_t n) {
    std::lock_guard lock(mutex);
    lastNamespace = ns;
    if (!functions.count(key(name, ns))) {
        return fail(Code::NotFound, "function {} not found", name);
    }
    replicas[key(name, ns)] = n;
    return {};
}

provider::UpstreamTimeout FakeProvider::upstreamTimeout(const std::string& name,
                                                        const std::string& ns) {
    std::lock_guard lock(mutex);
    auto it = endpoints.find(key(name, ns));
    if (it == endpoints.end() || it->second.empty()) {
        return {};
    }
    return it->second.front().timeout;
}

Result<std::vector<provider::Endpoint>> FakeProvider::resolve(const std::string& name,
                                                              const std::string& ns) {
    std::lock_guard lock(mutex);
    auto it = endpoints.find(key(name, ns));
    if (it == endpoints.end()) {
        return fail(Code::NotFound, "Cannot find service: {}.", key(name, ns));
    }
    return it->second;
}

Result<std::vector<api::Secret>> FakeProvider::listSecrets(const std::string& ns) {
    std::lock_guard lock(mutex);
    std::vector<api::Secret> out;
    for (const auto& [k, s] : secrets) {
        if (s.ns == ns) {
            out.push_back(s);
        }
    }
    return out;
}

Result<void> FakeProvider::createSecret(const api::Secret& s) {
    std::lock_guard lock(mutex);
    if (secrets.count(s.ns + "/" + s.name)) {
        return fail(Code::AlreadyExists, "secret {} already exists", s.name);
    }
    secrets[s.ns + "/" + s.name] = s;
    return {};
}

Result<void> FakeProvider::updateSecret(const api::Secret& s) {
    std::lock_guard lock(mutex);
    if (!secrets.count(s.ns + "/" + s.name)) {
        return fail(Code::NotFound, "secret {} not found", s.name);
    }
    secrets[s.ns + "/" + s.name] = s;
    return {};
}

Result<void> FakeProvider::removeSecret(const std::string& name, const std::string& ns) {
    std::lock_guard lock(mutex);
    if (secrets.erase(ns + "/" + name) == 0) {
        return fail(Code::NotFound, "secret {} not found", name);
    }
    return {};
}

Result<std::vector<std::string>> FakeProvider::listNamespaces() {
    std::lock_guard lock(mutex);
    std::vector<std::string> out;
    for (const auto& [name, ns] : namespaces) {
        out.push_back(name);
    }
    return out;
}

Result<api::NamespaceRequest> FakeProvider::getNamespace(const std::string& name) {
    std::lock_guard lock(mutex);
    auto it = namespaces.find(name);
    if (it == namespaces.end()) {
        return fail(Code::NotFound, "namespace {} not found", name);
    }
    return it->second;
}

Result<void> FakeProvider::createNamespace(const api::NamespaceRequest& ns) {
    std::lock_guard lock(mutex);
    if (namespaces.count(ns.name)) {
        return fail(Code::AlreadyExists, "namespace {} already exists", ns.name);
    }
    namespaces[ns.name] = ns;
    return {};
}

Result<void> FakeProvider::updateNamespace(const api::NamespaceRequest& ns) {
    std::lock_guard lock(mutex);
    if (!namespaces.count(ns.name)) {
        return fail(Code::NotFound, "namespace {} not found", ns.name);
    }
    namespaces[ns.name] = ns;
    return {};
}

Result<void> FakeProvider::removeNamespace(const std::string& name) {
    std::lock_guard lock(mutex);
    if (namespaces.erase(name) == 0) {
        return fail(Code::NotFound, "namespace {} not found", name);
    }
    return {};
}

Result<void> FakeProvider::logs(const api::LogRequest& request, const provider::LogSink& sink,
                                const std::atomic<bool>& stop) {
    std::vector<api::LogMessage> lines;
    bool blocks = false;
    {
        std::lock_guard lock(mutex);
        lastLogRequest = request;
        if (!functions.count(key(request.name, request.ns))) {
            return fail(Code::NotFound, "function {} not found", request.name);
        }
        lines = logLines;
        blocks = logFollowBlocks;
    }
    for (const auto& line : lines) {
        if (!sink(line)) {
            logStopSeen = true;
            return {};
        }
    }
    if (blocks && request.follow) {
        // A follow that has nothing more to say, until the gateway stops it.
        logStopSeen = waitUntil([&] { return stop.load(); }, std::chrono::seconds(10),
                                std::chrono::milliseconds(5));
    }
    return {};
}

api::ProviderInfo FakeProvider::info() {
    api::ProviderInfo info;
    info.provider = "faasd"; // the gateway must not report exactly this
    info.orchestration = "containerd";
    return info;
}

} // namespace faasd::gateway::test
