// faasd deploy: functions from a stack file, or one from flags, through the
// gateway's REST API (PUT, then POST when the function is new).

#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/image_verbs.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>

namespace faasd::cli {

namespace {

struct DeployFlags {
    GatewayFlags gateway;
    std::string yaml;
    std::string filter;
    std::string regex;
    std::string image;
    std::string name;
    std::string fprocess;
    std::vector<std::string> env;
    std::vector<std::string> labels;
    std::vector<std::string> annotations;
    std::vector<std::string> secrets;
    std::vector<std::string> constraints;
    std::string memoryLimit;
    std::string cpuLimit;
    std::string memoryRequest;
    std::string cpuRequest;
    bool readOnly = false;
    std::string ns;
    bool build = false;
    BuildFlags buildFlags;
    PushFlags pushFlags;
};

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

// Flags given beside a stack file apply on top of each of its functions.
Result<void> applyFlags(const DeployFlags& f, api::FunctionDeployment& d) {
    TRY(mergeKeyValues(f.env, "--env", d.envVars));
    TRY(mergeKeyValues(f.labels, "--label", d.labels));
    TRY(mergeKeyValues(f.annotations, "--annotation", d.annotations));
    for (const auto& s : f.secrets) {
        TRY(api::validateSecretName(s));
        if (std::find(d.secrets.begin(), d.secrets.end(), s) == d.secrets.end()) {
            d.secrets.push_back(s);
        }
    }
    for (const auto& c : f.constraints) {
        d.constraints.push_back(c);
    }
    TRY(setResource(f.memoryLimit, "--memory-limit", true, d.limits));
    TRY(setResource(f.cpuLimit, "--cpu-limit", false, d.limits));
    TRY(setResource(f.memoryRequest, "--memory-request", true, d.requests));
    TRY(setResource(f.cpuRequest, "--cpu-request", false, d.requests));
    if (f.readOnly) {
        d.readOnlyRootFilesystem = true;
    }
    if (!f.ns.empty()) {
        TRY(api::validateName("namespace", f.ns));
        d.ns = f.ns;
    }
    if (!f.fprocess.empty()) {
        d.envProcess = f.fprocess;
    }
    return {};
}

Result<void> deploy(const DeployFlags& f) {
    std::vector<api::FunctionDeployment> deployments;
    std::string stackGateway;
    if (!f.image.empty() || !f.name.empty()) {
        if (!f.yaml.empty()) {
            return fail(Code::InvalidArgument,
                        "give either -f with a stack file or --image and --name, not both");
        }
        if (f.image.empty() || f.name.empty()) {
            return fail(Code::InvalidArgument, "deploying from flags needs --image and --name");
        }
        TRY(api::validateName("function name", f.name));
        api::FunctionDeployment d;
        d.service = f.name;
        d.image = f.image;
        TRY(applyFlags(f, d));
        deployments.push_back(std::move(d));
    } else {
        const std::string file = defaultStackFile(f.yaml);
        if (file.empty()) {
            return fail(Code::InvalidArgument,
                        "no stack file: give -f stack.yml, or --image and --name");
        }
        TRY_ASSIGN(auto stack, loadStackFile(file));
        TRY_ASSIGN(auto selected, config::selectFunctions(stack, f.filter, f.regex));
        if (f.build) {
            auto toBuild = selected;
            for (auto& fn : toBuild) {
                fn.ns = f.ns.empty() ? fn.ns : f.ns;  // the image goes where the function runs
            }
            TRY(buildAndPush(stack, toBuild, f.buildFlags, f.pushFlags));
        }
        for (const auto& fn : selected) {
            auto d = config::toDeployment(fn);
            TRY(withContext(applyFlags(f, d), fn.name));
            deployments.push_back(std::move(d));
        }
        stackGateway = stack.provider.gateway;
    }
    TRY_ASSIGN(auto client, connectGateway(f.gateway, stackGateway));
    return deployFunctions(client, deployments);
}

} // namespace

void addDeploy(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "deploy", "Deploy functions from a stack file, or one function from flags");
    auto f = std::make_shared<DeployFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd->add_option("-f,--yaml", f->yaml, "stack file (default: ./stack.yml when present)");
    cmd->add_option("--filter", f->filter, "deploy the functions whose name matches a wildcard");
    cmd->add_option("--regex", f->regex, "deploy the functions whose name matches a regex");
    cmd->add_option("--image", f->image, "image of the function (with --name)");
    cmd->add_option("--name", f->name, "name of the function (with --image)");
    cmd->add_option("--fprocess", f->fprocess, "the process the watchdog runs");
    cmd->add_option("-e,--env", f->env, "environment variable KEY=VALUE (repeatable)");
    cmd->add_option("-l,--label", f->labels, "label KEY=VALUE (repeatable)");
    cmd->add_option("--annotation", f->annotations, "annotation KEY=VALUE (repeatable)");
    cmd->add_option("--secret", f->secrets, "secret to mount (repeatable)");
    cmd->add_option("--constraint", f->constraints, "placement constraint (repeatable)");
    cmd->add_option("--memory-limit", f->memoryLimit, "memory limit, e.g. 128Mi");
    cmd->add_option("--cpu-limit", f->cpuLimit, "CPU limit, e.g. 500m");
    cmd->add_option("--memory-request", f->memoryRequest, "memory request, e.g. 64Mi");
    cmd->add_option("--cpu-request", f->cpuRequest, "CPU request, e.g. 100m");
    cmd->add_flag("--readonly", f->readOnly, "read-only root filesystem");
    cmd->add_option("-n,--namespace", f->ns, "namespace (default: the gateway's)");
    cmd->add_flag("--build", f->build,
                  "build the functions first, and push those whose image names a registry");
    addBuildFlags(cmd, f->buildFlags);
    addPushFlags(cmd, f->pushFlags);
    cmd->callback([f] { runVerb([&] { return deploy(*f); }); });
}

} // namespace faasd::cli
