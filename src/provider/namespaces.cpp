// Function namespaces (containerd namespaces labelled openfaas=1|true) and
// function secrets.

#include "api/validate.hpp"
#include "provider/containerd_provider.hpp"
#include "provider/labels.hpp"

#include <algorithm>
#include <sys/stat.h>

namespace faasd::provider {

namespace {

bool isFunctionNamespace(const Labels& labels) {
    auto it = labels.find(kNamespaceLabel);
    return it != labels.end() && (it->second == "1" || it->second == "true");
}

Labels namespaceLabels(const api::NamespaceRequest& ns) {
    Labels out;
    for (const auto& [k, v] : ns.labels) {
        out[k] = v;
    }
    for (const auto& [k, v] : ns.annotations) {
        out[kAnnotationPrefix + k] = v;
    }
    out[kNamespaceLabel] = "1";
    return out;
}

} // namespace

Result<std::vector<std::string>> ContainerdProvider::listNamespaces() {
    TRY_ASSIGN(auto all, client_.namespaces().list()); // its error names the call
    std::vector<std::string> out = {config_.defaultNamespace};
    for (const auto& ns : all) {
        if (ns.name != config_.defaultNamespace && isFunctionNamespace(ns.labels)) {
            out.push_back(ns.name);
        }
    }
    std::sort(out.begin() + 1, out.end());
    return out;
}

Result<api::NamespaceRequest> ContainerdProvider::getNamespace(const std::string& name) {
    TRY(withContext(requireFunctionNamespace(name), "getting namespace"));
    TRY_ASSIGN(auto ns, client_.namespaces().get(name));
    api::NamespaceRequest out{.name = name};
    const std::string prefix = kAnnotationPrefix;
    for (const auto& [k, v] : ns.labels) {
        if (k.starts_with(prefix)) {
            out.annotations[k.substr(prefix.size())] = v;
        } else {
            out.labels[k] = v;
        }
    }
    return out;
}

Result<void> ContainerdProvider::createNamespace(const api::NamespaceRequest& ns) {
    const auto what = fmt::format("creating namespace {}", ns.name);
    TRY(withContext(api::validateName("namespace", ns.name), what));
    auto created = client_.namespaces().create(ns.name, namespaceLabels(ns));
    if (!created && created.error().code() == Code::AlreadyExists) {
        return fail(Code::AlreadyExists, "{}: it already exists", what);
    }
    return withContext(created.map([](auto&&) {}), what);
}

Result<void> ContainerdProvider::updateNamespace(const api::NamespaceRequest& ns) {
    const auto what = fmt::format("updating namespace {}", ns.name);
    TRY(withContext(requireFunctionNamespace(ns.name), what));
    return withContext(
        client_.namespaces().setLabels(ns.name, namespaceLabels(ns)).map([](auto&&) {}), what);
}

Result<void> ContainerdProvider::removeNamespace(const std::string& name) {
    const auto what = fmt::format("removing namespace {}", name);
    TRY(withContext(requireFunctionNamespace(name), what));
    if (name == config_.defaultNamespace) {
        return fail(Code::FailedPrecondition, "{}: the default namespace stays", what);
    }
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, fn] : functions_) {
            if (key.ns == name) {
                return fail(Code::FailedPrecondition, "{}: it still holds function {}", what,
                            key.name);
            }
        }
    }
    // Images pulled for its functions, and their leases, go with it.
    auto c = inNs(name);
    if (auto images = c.images().list()) {
        for (const auto& img : *images) {
            (void)c.images().remove(img.name, true);
        }
    }
    if (auto leases = c.leases().list()) {
        for (const auto& l : *leases) {
            (void)c.leases().remove(l.id, true);
        }
    }
    TRY(withContext(client_.namespaces().remove(name), what));
    secrets_.removeNamespace(name);
    return {};
}

Result<std::vector<api::Secret>> ContainerdProvider::listSecrets(const std::string& nsIn) {
    const std::string ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    TRY(withContext(requireFunctionNamespace(ns), "listing secrets"));
    TRY_ASSIGN(auto names, secrets_.list(ns));
    std::vector<api::Secret> out;
    for (auto& n : names) {
        out.push_back({.name = std::move(n), .ns = ns});
    }
    return out;
}

Result<void> ContainerdProvider::createSecret(const api::Secret& secret) {
    const std::string ns = secret.ns.empty() ? config_.defaultNamespace : secret.ns;
    const auto what = fmt::format("creating secret {}", secret.name);
    TRY(withContext(requireFunctionNamespace(ns), what));
    return withContext(secrets_.create(ns, secret.name, secret.bytes()), what);
}

Result<void> ContainerdProvider::updateSecret(const api::Secret& secret) {
    const std::string ns = secret.ns.empty() ? config_.defaultNamespace : secret.ns;
    const auto what = fmt::format("updating secret {}", secret.name);
    TRY(withContext(requireFunctionNamespace(ns), what));
    TRY(withContext(secrets_.update(ns, secret.name, secret.bytes()), what));
    // Running replicas see the new value: their secrets dir is a bind
    // mount, and the copy in it is replaced by rename. The copies are found
    // on disk (secrets-* dirs of the functions using the secret), so this
    // also works for functions recovered from an earlier run.
    std::vector<std::string> users;
    {
        std::lock_guard lock(mu_);
        for (const auto& [key, fn] : functions_) {
            const auto& s = fn.deployment.secrets;
            if (key.ns == ns && std::find(s.begin(), s.end(), secret.name) != s.end()) {
                users.push_back(key.name);
            }
        }
    }
    for (const auto& name : users) {
        std::error_code ec;
        for (const auto& entry : std::filesystem::directory_iterator(functionDir(ns, name), ec)) {
            if (!entry.path().filename().string().starts_with("secrets-")) {
                continue;
            }
            struct stat st {};
            if (::stat(entry.path().c_str(), &st) < 0) {
                continue;
            }
            TRY(withContext(writeOwnedFile(entry.path() / secret.name, secret.bytes(), 0400,
                                           st.st_uid, st.st_gid),
                            what));
        }
    }
    return {};
}

Result<void> ContainerdProvider::removeSecret(const std::string& name, const std::string& nsIn) {
    const std::string ns = nsIn.empty() ? config_.defaultNamespace : nsIn;
    const auto what = fmt::format("removing secret {}", name);
    TRY(withContext(requireFunctionNamespace(ns), what));
    return withContext(secrets_.remove(ns, name), what);
}

} // namespace faasd::provider
