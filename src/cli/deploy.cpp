// faasd deploy: functions from a stack file, or one from flags, through the
// gateway's REST API (PUT, then POST when the function is new).

#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"
#include "cli/deploy_flags.hpp"
#include "cli/image_verbs.hpp"

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

void addDeploy(Command& app) {
    auto& cmd =
        app.subcommand("deploy", "Deploy functions from a stack file, or one function from flags");
    auto f = std::make_shared<DeployFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.option("-f,--yaml", f->yaml, "stack file (default: ./stack.yml when present)");
    cmd.option("--filter", f->filter, "deploy the functions whose name matches a wildcard");
    cmd.option("--regex", f->regex, "deploy the functions whose name matches a regex");
    cmd.option("--image", f->image, "image of the function (with --name)");
    cmd.option("--name", f->name, "name of the function (with --image)");
    cmd.option("--fprocess", f->overrides.fprocess, "the process the watchdog runs");
    cmd.option("-e,--env", f->overrides.env, "environment variable KEY=VALUE (repeatable)");
    cmd.option("-l,--label", f->overrides.labels, "label KEY=VALUE (repeatable)");
    cmd.option("--annotation", f->overrides.annotations, "annotation KEY=VALUE (repeatable)");
    cmd.option("--secret", f->overrides.secrets, "secret to mount (repeatable)");
    cmd.option("--constraint", f->overrides.constraints, "placement constraint (repeatable)");
    cmd.option("--memory-limit", f->overrides.memoryLimit, "memory limit, e.g. 128Mi");
    cmd.option("--cpu-limit", f->overrides.cpuLimit, "CPU limit, e.g. 500m");
    cmd.option("--memory-request", f->overrides.memoryRequest, "memory request, e.g. 64Mi");
    cmd.option("--cpu-request", f->overrides.cpuRequest, "CPU request, e.g. 100m");
    cmd.flag("--readonly", f->overrides.readOnly, "read-only root filesystem");
    cmd.option("-n,--namespace", f->overrides.ns, "namespace (default: the gateway's)");
    cmd.flag("--build", f->build,
             "build the functions first, and push those whose image names a registry");
    addBuildFlags(cmd, f->buildFlags);
    addPushFlags(cmd, f->pushFlags);
    cmd.callback([f] { runVerb([&] { return deploy(*f); }); });
}

} // namespace faasd::cli
