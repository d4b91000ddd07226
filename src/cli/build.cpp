// faasd build -f stack.yml: each function's template build on the host, then
// a reproducible OCI image packed here and imported into containerd.

#include "api/types.hpp"
#include "build/context_build.hpp"
#include "build/function_build.hpp"
#include "build/template_repo.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"
#include "cli/image_verbs.hpp"
#include "config/daemon_config.hpp"
#include "containerd/client.hpp"
#include "image/builder.hpp"
#include "image/reference.hpp"
#include "image/store.hpp"

#include <fmt/format.h>
#include <map>
#include <memory>

namespace faasd::cli {

namespace fs = std::filesystem;

namespace {

struct BuildVerbFlags {
    std::string yaml;
    std::string filter;
    std::string regex;
    BuildFlags build;
};

struct Planned {
    const config::StackFunction* fn;
    build::Template tmpl;
    std::filesystem::path handler;
    std::map<std::string, std::string> buildArgs;
};

} // namespace

Result<std::string> containerdSocket(const std::string& flag) {
    if (!flag.empty()) {
        return flag;
    }
    TRY_ASSIGN(auto daemon, config::fromEnv(config::processEnv()));
    return daemon.containerdSocket;
}

void addBuildFlags(Command& cmd, BuildFlags& flags) {
    cmd.option("--templates-dir", flags.templatesDir, "templates folder (env FAASD_TEMPLATES_DIR)");
    cmd.option("-o,--output", flags.output, "also write each image as an OCI archive DIR/NAME.tar");
    cmd.option("--containerd-socket", flags.containerdSocket,
               "containerd's socket (env FAASD_CONTAINERD_SOCKET)");
}

Result<void> buildFunctions(const config::Stack& stack,
                            const std::vector<config::StackFunction>& functions,
                            const BuildFlags& flags) {
    // Check everything first: a bad entry changes nothing.
    std::vector<Planned> plan;
    bool hostBuilds = false;
    for (const auto& fn : functions) {
        if (fn.skipBuild || fn.lang.empty()) {
            fmt::print("[{}] skipped: {}\n", fn.name,
                       fn.skipBuild ? "skip_build is set" : "no lang (a prebuilt image)");
            continue;
        }
        auto tmpl = build::resolveTemplate(stack.dir, flags.templatesDir, fn.lang);
        if (!tmpl && tmpl.error().code() == Code::NotFound &&
            fn.lang == build::kDockerfileLanguage) {
            // As in faas-cli, `lang: dockerfile` needs no template folder:
            // the handler folder is the build context.
            tmpl = build::Template{.language = std::string(build::kDockerfileLanguage)};
        }
        if (!tmpl) {
            return fail(fn.error("lang", tmpl.error().message()));
        }
        if (fn.handler.empty()) {
            return fail(fn.error("handler", "is required to build the function"));
        }
        const fs::path handler =
            fs::path(fn.handler).is_absolute() ? fs::path(fn.handler) : stack.dir / fn.handler;
        std::error_code ec;
        if (!fs::is_directory(handler, ec)) {
            return fail(fn.error("handler", fmt::format("folder {} does not exist",
                                                        handler.lexically_normal().string())));
        }
        if (fn.image.empty()) {
            return fail(fn.error("image", "is required to build the function"));
        }
        if (auto ref = image::parseReference(fn.image); !ref) {
            return fail(fn.error("image", ref.error().message()));
        }
        std::map<std::string, std::string> args(fn.buildArgs.begin(), fn.buildArgs.end());
        if (!fn.buildOptions.empty()) {
            auto packages = build::additionalPackages(*tmpl, fn.buildOptions);
            if (!packages) {
                return fail(fn.error("build_options", packages.error().message()));
            }
            args["ADDITIONAL_PACKAGE"] = *packages;
        }
        hostBuilds = hostBuilds || tmpl->hostBuild;
        plan.push_back({&fn, std::move(*tmpl), handler, std::move(args)});
    }
    if (plan.empty()) {
        return {};
    }

    TRY_ASSIGN(auto daemon, config::fromEnv(config::processEnv()));
    build::BuildEnvironment env;
    if (auto installed = build::findTemplatesDir(flags.templatesDir)) {
        env.templatesDir = *installed;
    }
    if (hostBuilds) {
        TRY_ASSIGN(env.watchdog, build::findWatchdog());
    }
    env.registry.insecure = daemon.insecureRegistries;
    env.registry.mirrors = daemon.registryMirrors;
    env.registry.dockerConfig = daemon.dockerConfig;
    env.buildahRoot = daemon.builder.buildahRoot; // empty: buildah's own storage
    {
        TRY_ASSIGN(auto socket, containerdSocket(flags.containerdSocket));
        std::error_code ec;
        if (fs::exists(socket, ec)) {
            env.containerdSocket = socket;
        } else if (flags.output.empty()) {
            return fail(Code::Unavailable,
                        "containerd is not running: no socket at {} (start faasd up, or give "
                        "--output DIR to only write OCI archives)",
                        socket);
        } else {
            fmt::print(stderr, "note: containerd is not running ({}): writing archives only\n",
                       socket);
        }
    }
    if (!flags.output.empty()) {
        std::error_code ec;
        fs::create_directories(flags.output, ec);
        if (ec) {
            return fail(Code::Internal, "creating {}: {}", flags.output, ec.message());
        }
    }

    auto progress = [](const std::string& line) {
        fmt::print("{}\n", line);
        std::fflush(stdout);
    };
    for (const auto& p : plan) {
        const std::string what = fmt::format("building {}", p.fn->name);
        const fs::path dir = stack.dir / "build" / p.fn->name;
        progress(fmt::format("[{}] staging {} template and {} in {}", p.fn->name, p.tmpl.language,
                             p.handler.lexically_normal().string(),
                             dir.lexically_normal().string()));
        TRY(withContext(build::stageContext(p.tmpl, p.handler, dir), what));
        build::ContextBuild request;
        request.name = p.fn->name;
        request.context = dir;
        request.image = p.fn->image;
        request.buildArgs = p.buildArgs;
        request.ns = p.fn->ns.empty() ? std::string(api::kDefaultNamespace) : p.fn->ns;
        if (!flags.output.empty()) {
            request.archive = fs::path(flags.output) / (p.fn->name + ".tar");
        }
        TRY_ASSIGN(auto built, withContext(build::buildContext(request, env, progress), what));
        std::string where;
        if (!env.containerdSocket.empty()) {
            where = fmt::format(" in containerd namespace {}", request.ns);
        }
        if (!request.archive.empty()) {
            where += fmt::format("{}written to {}", where.empty() ? " " : ", ",
                                 request.archive.string());
        }
        fmt::print("[{}] built {} {}{} ({})\n", p.fn->name, p.fn->image, built.digest, where,
                   built.method);
        std::fflush(stdout);
    }
    return {};
}

void addBuild(Command& app) {
    auto& cmd =
        app.subcommand("build", "Build the functions of a stack file into images, without Docker");
    auto f = std::make_shared<BuildVerbFlags>();
    cmd.option("-f,--yaml", f->yaml, "stack file (default: ./stack.yml when present)");
    cmd.option("--filter", f->filter, "build the functions whose name matches a wildcard");
    cmd.option("--regex", f->regex, "build the functions whose name matches a regex");
    addBuildFlags(cmd, f->build);
    cmd.callback([f] {
        runVerb([&]() -> Result<void> {
            TRY_ASSIGN(auto s, loadSelected(f->yaml, f->filter, f->regex,
                                            "no stack file: give -f stack.yml"));
            return buildFunctions(s.stack, s.functions, f->build);
        });
    });
}

} // namespace faasd::cli
