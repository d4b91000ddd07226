// faasd build -f stack.yml: each function's template build on the host, then
// a reproducible OCI image packed here and imported into containerd.

#include "api/types.hpp"
#include "build/function_build.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/image_verbs.hpp"
#include "config/daemon_config.hpp"
#include "containerd/client.hpp"
#include "image/builder.hpp"
#include "image/reference.hpp"
#include "image/store.hpp"

#include <CLI/CLI.hpp>
#include <fmt/format.h>
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
    build::FunctionSource source;
    std::string storedName; // normalised reference, as the provider looks it up
};

} // namespace

Result<std::string> containerdSocket(const std::string& flag) {
    if (!flag.empty()) {
        return flag;
    }
    TRY_ASSIGN(auto daemon, config::fromEnv(config::processEnv()));
    return daemon.containerdSocket;
}

bool namesRegistry(std::string_view image) {
    auto slash = image.find('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    auto first = image.substr(0, slash);
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

void addBuildFlags(CLI::App* cmd, BuildFlags& flags) {
    cmd->add_option("--templates-dir", flags.templatesDir,
                    "templates folder (env FAASD_TEMPLATES_DIR)");
    cmd->add_option("-o,--output", flags.output,
                    "also write each image as an OCI archive DIR/NAME.tar");
    cmd->add_option("--containerd-socket", flags.containerdSocket,
                    "containerd's socket (env FAASD_CONTAINERD_SOCKET)");
}

Result<void> buildFunctions(const config::Stack& stack,
                            const std::vector<config::StackFunction>& functions,
                            const BuildFlags& flags) {
    TRY_ASSIGN(auto templatesDir, build::findTemplatesDir(flags.templatesDir));

    // Check everything first: a bad entry changes nothing.
    std::vector<Planned> plan;
    for (const auto& fn : functions) {
        if (fn.skipBuild || fn.lang.empty()) {
            fmt::print("[{}] skipped: {}\n", fn.name,
                       fn.skipBuild ? "skip_build is set" : "no lang (a prebuilt image)");
            continue;
        }
        if (auto t = build::findTemplate(templatesDir, fn.lang); !t) {
            return fail(fn.error("lang", t.error().message()));
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
        auto ref = image::parseReference(fn.image);
        if (!ref) {
            return fail(fn.error("image", ref.error().message()));
        }
        plan.push_back({&fn, {fn.name, fn.lang, handler, fn.image, fn.buildArgs}, ref->str()});
    }
    if (plan.empty()) {
        return {};
    }

    TRY_ASSIGN(auto watchdog, build::findWatchdog());
    std::optional<containerd::Client> client;
    {
        TRY_ASSIGN(auto socket, containerdSocket(flags.containerdSocket));
        std::error_code ec;
        if (fs::exists(socket, ec)) {
            TRY_ASSIGN(auto c, containerd::Client::connect(
                                   {.socket = socket, .timeout = std::chrono::seconds(60)}));
            client = std::move(c);
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

    build::BuildOptions options;
    options.templatesDir = templatesDir;
    options.watchdog = watchdog;
    options.buildRoot = stack.dir / "build";
    options.progress = [](const std::string& line) {
        fmt::print("{}\n", line);
        std::fflush(stdout);
    };
    for (const auto& p : plan) {
        TRY_ASSIGN(auto built, build::buildFunction(p.source, options));
        std::string where;
        if (client) {
            const std::string ns = p.fn->ns.empty() ? api::kDefaultNamespace : p.fn->ns;
            auto scoped = client->withNamespace(ns);
            TRY_ASSIGN(auto record, withContext(image::storeImage(scoped, p.storedName,
                                                                  built.config, built.layers),
                                                fmt::format("building {}", p.fn->name)));
            if (record.target.digest != built.manifestDescriptor.digest) {
                return fail(Code::Internal, "building {}: containerd holds {} as {}, not {}",
                            p.fn->name, p.storedName, record.target.digest,
                            built.manifestDescriptor.digest);
            }
            where = fmt::format(" in containerd namespace {}", ns);
        }
        if (!flags.output.empty()) {
            const fs::path archive = fs::path(flags.output) / (p.fn->name + ".tar");
            TRY(withContext(image::writeOciArchive(built, p.storedName, archive),
                            fmt::format("building {}", p.fn->name)));
            where += fmt::format("{}written to {}", where.empty() ? " " : ", ", archive.string());
        }
        fmt::print("[{}] built {} {}{}\n", p.fn->name, p.fn->image, built.manifestDescriptor.digest,
                   where);
        std::fflush(stdout);
    }
    return {};
}

void addBuild(CLI::App& app) {
    auto* cmd = app.add_subcommand(
        "build", "Build the functions of a stack file into images, without Docker");
    auto f = std::make_shared<BuildVerbFlags>();
    cmd->add_option("-f,--yaml", f->yaml, "stack file (default: ./stack.yml when present)");
    cmd->add_option("--filter", f->filter, "build the functions whose name matches a wildcard");
    cmd->add_option("--regex", f->regex, "build the functions whose name matches a regex");
    addBuildFlags(cmd, f->build);
    cmd->callback([f] {
        runVerb([&]() -> Result<void> {
            TRY_ASSIGN(auto s, loadSelected(f->yaml, f->filter, f->regex,
                                            "no stack file: give -f stack.yml"));
            return buildFunctions(s.stack, s.functions, f->build);
        });
    });
}

} // namespace faasd::cli
