#include "cli/deploy_flags.hpp"

#include "api/validate.hpp"
#include "cli/gateway_client.hpp"

#include <algorithm>

namespace faasd::cli {

namespace {

Result<void> mergeKeyValues(const std::vector<std::string>& items, std::string_view flag,
                            api::StringMap& into) {
    for (const auto& item : items) {
        TRY_ASSIGN(auto kv, splitKeyValue(item, flag));
        into[kv.first] = kv.second;
    }
    return {};
}

Result<void> setResource(const std::string& value, std::string_view flag, bool memory,
                         std::optional<api::Resources>& into) {
    if (value.empty()) {
        return {};
    }
    auto valid = memory ? api::parseMemory(value).map([](int64_t) {})
                        : api::parseCpu(value).map([](int64_t) {});
    if (!valid) {
        return fail(Code::InvalidArgument, "{} {}: {}", flag, value, valid.error().message());
    }
    if (!into) {
        into.emplace();
    }
    (memory ? into->memory : into->cpu) = value;
    return {};
}

} // namespace

Result<void> applyOverrides(const DeployOverrides& o, api::FunctionDeployment& d) {
    TRY(mergeKeyValues(o.env, "--env", d.envVars));
    TRY(mergeKeyValues(o.labels, "--label", d.labels));
    TRY(mergeKeyValues(o.annotations, "--annotation", d.annotations));
    for (const auto& s : o.secrets) {
        TRY(withContext(api::validateSecretName(s), "--secret"));
        if (std::find(d.secrets.begin(), d.secrets.end(), s) == d.secrets.end()) {
            d.secrets.push_back(s);
        }
    }
    for (const auto& c : o.constraints) {
        d.constraints.push_back(c);
    }
    TRY(setResource(o.memoryLimit, "--memory-limit", true, d.limits));
    TRY(setResource(o.cpuLimit, "--cpu-limit", false, d.limits));
    TRY(setResource(o.memoryRequest, "--memory-request", true, d.requests));
    TRY(setResource(o.cpuRequest, "--cpu-request", false, d.requests));
    if (o.readOnly) {
        d.readOnlyRootFilesystem = true;
    }
    if (!o.ns.empty()) {
        TRY(withContext(api::validateName("namespace", o.ns), "--namespace"));
        d.ns = o.ns;
    }
    if (!o.fprocess.empty()) {
        d.envProcess = o.fprocess;
    }
    return {};
}

Result<api::FunctionDeployment>
deploymentFromFlags(const std::string& image, const std::string& name, const DeployOverrides& o) {
    if (image.empty() || name.empty()) {
        return fail(Code::InvalidArgument, "deploying from flags needs --image and --name");
    }
    TRY(withContext(api::validateName("function name", name), "--name"));
    api::FunctionDeployment d;
    d.service = name;
    d.image = image;
    TRY(applyOverrides(o, d));
    return d;
}

} // namespace faasd::cli
