// faasd deploy: functions from a stack file, or one from flags, through the
// gateway's REST API (PUT, then POST when the function is new).

#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/deploy_flags.hpp"
#include "cli/image_verbs.hpp"

#include <CLI/CLI.hpp>
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
    DeployOverrides overrides;
    bool build = false;
    BuildFlags buildFlags;
    PushFlags pushFlags;
};

Result<void> deploy(const DeployFlags& f) {
    std::vector<api::FunctionDeployment> deployments;
    std::string stackGateway;
    if (!f.image.empty() || !f.name.empty()) {
        if (!f.yaml.empty()) {
            return fail(Code::InvalidArgument,
                        "give either -f with a stack file or --image and --name, not both");
        }
        TRY_ASSIGN(auto d, deploymentFromFlags(f.image, f.name, f.overrides));
        deployments.push_back(std::move(d));
    } else {
        TRY_ASSIGN(auto s, loadSelected(f.yaml, f.filter, f.regex,
                                        "no stack file: give -f stack.yml, or --image and --name"));
        const config::Stack& stack = s.stack;
        const auto& selected = s.functions;
        if (f.build) {
            auto toBuild = selected;
            for (auto& fn : toBuild) { // the image goes where the function runs
                fn.ns = f.overrides.ns.empty() ? fn.ns : f.overrides.ns;
            }
            TRY(buildAndPush(stack, toBuild, f.buildFlags, f.pushFlags));
        }
        for (const auto& fn : selected) {
            auto d = config::toDeployment(fn);
            TRY(withContext(applyOverrides(f.overrides, d), fn.name));
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
    cmd->add_option("--fprocess", f->overrides.fprocess, "the process the watchdog runs");
    cmd->add_option("-e,--env", f->overrides.env, "environment variable KEY=VALUE (repeatable)");
    cmd->add_option("-l,--label", f->overrides.labels, "label KEY=VALUE (repeatable)");
    cmd->add_option("--annotation", f->overrides.annotations, "annotation KEY=VALUE (repeatable)");
    cmd->add_option("--secret", f->overrides.secrets, "secret to mount (repeatable)");
    cmd->add_option("--constraint", f->overrides.constraints, "placement constraint (repeatable)");
    cmd->add_option("--memory-limit", f->overrides.memoryLimit, "memory limit, e.g. 128Mi");
    cmd->add_option("--cpu-limit", f->overrides.cpuLimit, "CPU limit, e.g. 500m");
    cmd->add_option("--memory-request", f->overrides.memoryRequest, "memory request, e.g. 64Mi");
    cmd->add_option("--cpu-request", f->overrides.cpuRequest, "CPU request, e.g. 100m");
    cmd->add_flag("--readonly", f->overrides.readOnly, "read-only root filesystem");
    cmd->add_option("-n,--namespace", f->overrides.ns, "namespace (default: the gateway's)");
    cmd->add_flag("--build", f->build,
                  "build the functions first, and push those whose image names a registry");
    addBuildFlags(cmd, f->buildFlags);
    addPushFlags(cmd, f->pushFlags);
    cmd->callback([f] { runVerb([&] { return deploy(*f); }); });
}

} // namespace faasd::cli
