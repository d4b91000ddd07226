#include "provider/labels.hpp"

#include "api/json.hpp"
#include "api/validate.hpp"
#include "provider/seccomp.hpp"
#include "provider/spec.hpp"
#include "provider/timeout.hpp"

#include <charconv>

namespace faasd::provider {

Labels replicaLabels(const api::FunctionDeployment& d) {
    Labels out;
    for (const auto& [k, v] : d.labels) {
        out[k] = v;
    }
    for (const auto& [k, v] : d.annotations) {
        out[kAnnotationPrefix + k] = v;
    }
    out[kFunctionLabel] = d.service;
    out[kRoleLabel] = kRoleReplica;
    out[kReplicaLabel] = "true";
    return out;
}

Labels recordLabels(const api::FunctionDeployment& d, uint64_t replicas,
                    const std::optional<std::string>& process) {
    Labels out = replicaLabels(d);
    out.erase(kReplicaLabel);
    out[kRoleLabel] = kRoleFunction;
    out[kReplicasLabel] = std::to_string(replicas);
    // A user's label of that name must not pass for ours.
    out.erase(kProcessLabel);
    if (process && process->size() <= kLabelChunk) {
        out[kProcessLabel] = *process;
    }
    const std::string json = api::toJson(d);
    size_t chunks = 0;
    for (size_t pos = 0; pos < json.size(); pos += kLabelChunk, ++chunks) {
        out[fmt::format("{}.{}", kDeploymentLabel, chunks)] = json.substr(pos, kLabelChunk);
    }
    out[kDeploymentLabel] = std::to_string(chunks);
    return out;
}

Result<FunctionRecord> parseRecord(const Labels& labels) {
    auto count = labels.find(kDeploymentLabel);
    auto replicas = labels.find(kReplicasLabel);
    if (count == labels.end() || replicas == labels.end()) {
        return fail(Code::Internal, "function record has no {} or {} label", kDeploymentLabel,
                    kReplicasLabel);
    }
    size_t chunks = 0;
    FunctionRecord out;
    auto parse = [](const std::string& text, auto& value) {
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
        return ec == std::errc() && end == text.data() + text.size();
    };
    if (!parse(count->second, chunks) || !parse(replicas->second, out.replicas)) {
        return fail(Code::Internal, "function record has a malformed {} or {} label",
                    kDeploymentLabel, kReplicasLabel);
    }
    std::string json;
    for (size_t i = 0; i < chunks; ++i) {
        auto part = labels.find(fmt::format("{}.{}", kDeploymentLabel, i));
        if (part == labels.end()) {
            return fail(Code::Internal, "function record misses label {}.{}", kDeploymentLabel, i);
        }
        json += part->second;
    }
    TRY_ASSIGN(out.deployment,
               withContext(api::parseFunctionDeployment(json), "reading function record"));
    if (auto process = labels.find(kProcessLabel); process != labels.end()) {
        out.process = process->second;
    }
    return out;
}

api::FunctionStatus makeStatus(const api::FunctionDeployment& d,
                               const std::optional<std::string>& process, uint64_t replicas,
                               uint64_t available, std::chrono::system_clock::time_point created) {
    api::FunctionStatus s;
    s.name = d.service;
    s.image = d.image;
    s.ns = d.ns;
    s.envProcess = process.value_or(d.envProcess);
    s.envVars = d.envVars;
    s.constraints = d.constraints;
    s.secrets = d.secrets;
    s.labels = d.labels;
    // OpenFaaS providers other than faasd CE report the function's name as
    // this label too; clients (and the certifier) expect it.
    s.labels["faas_function"] = d.service;
    s.annotations = d.annotations;
    if (d.limits && !d.limits->empty()) {
        s.limits = d.limits;
    }
    if (d.requests && !d.requests->empty()) {
        s.requests = d.requests;
    }
    s.readOnlyRootFilesystem = d.readOnlyRootFilesystem;
    s.replicas = replicas;
    s.availableReplicas = available;
    s.createdAt = created;
    return s;
}

Result<void> validateDeployment(const api::FunctionDeployment& d) {
    TRY(api::validateName("function name", d.service));
    TRY(api::validateName("namespace", d.ns));
    if (d.image.empty()) {
        return fail(Code::InvalidArgument, "image is required");
    }
    for (const auto& secret : d.secrets) {
        TRY(withContext(api::validateSecretName(secret), "secrets"));
    }
    for (const auto* map : {&d.labels, &d.annotations}) {
        for (const auto& [k, v] : *map) {
            if (k.empty()) {
                return fail(Code::InvalidArgument, "{} may not have an empty key",
                            map == &d.labels ? "labels" : "annotations");
            }
            if (k.size() + v.size() + std::string_view(kAnnotationPrefix).size() > 4096) {
                return fail(Code::InvalidArgument, "label or annotation {} is longer than 4 KiB",
                            k);
            }
        }
    }
    for (const auto& [k, v] : d.envVars) {
        if (k.empty() || k.find('=') != std::string::npos) {
            return fail(Code::InvalidArgument, "envVars: \"{}\" is not a variable name", k);
        }
    }
    TRY(cgroupLimits(d.limits, d.requests));
    TRY(seccompWanted(d.annotations));
    TRY(upstreamTimeoutOf(d));
    return {};
}

} // namespace faasd::provider
