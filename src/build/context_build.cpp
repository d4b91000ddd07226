#include "build/context_build.hpp"

#include "build/buildah.hpp"
#include "build/function_build.hpp"
#include "build/template.hpp"
#include "common/files.hpp"
#include "common/scope_exit.hpp"
#include "containerd/client.hpp"
#include "image/archive.hpp"
#include "image/builder.hpp"
#include "image/push.hpp"
#include "image/reference.hpp"
#include "image/store.hpp"

#include <fmt/format.h>
#include <optional>
#include <set>

namespace faasd::build {
namespace fs = std::filesystem;

namespace {

// The recipe a context builds with on the host, if any: its own
// template.yml's when trusted, else the trusted template of that language.
Result<std::optional<Template>> hostRecipe(const ContextBuild& request,
                                           const BuildEnvironment& env) {
    std::error_code ec;
    const fs::path file = request.context / kTemplateFile;
    if (!fs::exists(file, ec)) {
        return std::optional<Template>{};
    }
    TRY_ASSIGN(auto text, readFile(file));
    TRY_ASSIGN(auto own, parseTemplate(text, std::string(kTemplateFile), request.context));
    if (request.trustContextRecipe) {
        return own.hostBuild ? std::optional<Template>(std::move(own)) : std::nullopt;
    }
    if (env.templatesDir.empty()) {
        return std::optional<Template>{};
    }
    auto trusted = findTemplate(env.templatesDir, own.language);
    if (!trusted || !trusted->hostBuild) {
        return std::optional<Template>{};
    }
    // The recipe's commands run the template's own scripts (runtime.sh,
    // build.sh, …): those come from the trusted template too, laid over
    // the upload's; only the handler folder stays the upload's.
    for (fs::directory_iterator it(trusted->dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name == trusted->handler || name == kSkeletonFolder) {
            continue;
        }
        fs::remove_all(request.context / name, ec);
        if (!ec) {
            fs::copy(it->path(), request.context / name,
                     fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
        }
        if (ec) {
            return fail(Code::Internal, "laying {} over the upload: {}", it->path().string(),
                        ec.message());
        }
    }
    if (ec) {
        return fail(Code::Internal, "reading {}: {}", trusted->dir.string(), ec.message());
    }
    return std::optional<Template>(std::move(*trusted));
}

// An image record as it was before a build replaced it, put back (or the
// new one removed) unless the build went through.
class ImageRollback {
public:
    ImageRollback(const containerd::Client& client, std::string name)
        : client_(client), name_(std::move(name)) {
        if (auto old = client_.images().get(name_)) {
            previous_ = std::move(*old);
        }
    }
    ~ImageRollback() {
        if (done_) {
            return;
        }
        if (previous_) {
            (void)client_.images().update(*previous_);
        } else {
            (void)client_.images().remove(name_);
        }
    }
    ImageRollback(const ImageRollback&) = delete;
    ImageRollback& operator=(const ImageRollback&) = delete;
    void commit() { done_ = true; }

private:
    const containerd::Client& client_;
    std::string name_;
    std::optional<containerd::Image> previous_;
    bool done_ = false;
};

// Build arguments an untrusted upload may not set for a host build: they
// would change which programs or libraries the recipe's commands load, or
// what they run (LD_PRELOAD, PATH, GOFLAGS=-toolexec=…, NODE_OPTIONS, …).
// Index and proxy settings (PIP_INDEX_URL, GOPROXY, npm_config_registry)
// stay allowed.
Result<void> checkUntrustedArgs(const std::map<std::string, std::string>& args) {
    static const std::set<std::string, std::less<>> exact{"PATH",
                                                          "HOME",
                                                          "SHELL",
                                                          "ENV",
                                                          "BASH_ENV",
                                                          "IFS",
                                                          "GOFLAGS",
                                                          "GOTOOLCHAIN",
                                                          "GOENV",
                                                          "GOROOT",
                                                          "GOPATH",
                                                          "GOCACHE",
                                                          "CC",
                                                          "CXX",
                                                          "CGO_ENABLED",
                                                          "NODE_OPTIONS",
                                                          "NODE_PATH",
                                                          "PYTHONPATH",
                                                          "PYTHONHOME",
                                                          "PYTHONSTARTUP",
                                                          "PYTHONUSERBASE",
                                                          "PIP_TARGET",
                                                          "PIP_PREFIX",
                                                          "PIP_ROOT",
                                                          "PIP_CONFIG_FILE",
                                                          "npm_config_prefix",
                                                          "npm_config_ignore_scripts",
                                                          "npm_config_script_shell",
                                                          "npm_config_userconfig",
                                                          "XDG_CACHE_HOME",
                                                          "TMPDIR"};
    for (const auto& [k, v] : args) {
        const bool denied = exact.count(k) || k.rfind("LD_", 0) == 0 || k.rfind("CGO_", 0) == 0 ||
                            k.rfind("GCONV_", 0) == 0;
        if (denied) {
            return fail(Code::InvalidArgument,
                        "build arg {} may not be set by an uploaded build (it changes what the "
                        "build's commands run)",
                        k);
        }
    }
    return {};
}

} // namespace

bool namesRegistry(std::string_view image) {
    auto slash = image.find('/');
    if (slash == std::string_view::npos) {
        return false;
    }
    auto first = image.substr(0, slash);
    return first.find_first_of(".:") != std::string_view::npos || first == "localhost";
}

Result<ContextBuildResult> buildContext(const ContextBuild& given, const BuildEnvironment& env,
                                        const BuildLog& log) {
    // Absolute paths: the build's commands run inside the context.
    ContextBuild request = given;
    std::error_code absEc;
    request.context = fs::absolute(given.context, absEc).lexically_normal();
    if (!given.archive.empty()) {
        request.archive = fs::absolute(given.archive, absEc).lexically_normal();
    }
    auto say = [&](const std::string& line) {
        if (log) {
            log(line);
        }
    };
    TRY_ASSIGN(auto ref, image::parseReference(request.image));
    ContextBuildResult result;
    result.image = ref.str();

    std::optional<image::BuiltImage> built;
    std::optional<TempDir> work;
    fs::path archive;
    TRY_ASSIGN(auto recipe, hostRecipe(request, env));
    if (recipe) {
        result.method = "host";
        if (!request.trustContextRecipe) {
            TRY(checkUntrustedArgs(request.buildArgs));
        }
        TRY_ASSIGN(auto img,
                   runHostRecipe(*recipe, request.context, request.name, request.buildArgs,
                                 env.watchdog, env.busybox, env.timeout, say));
        built = std::move(img);
        result.digest = built->manifestDescriptor.digest;
        if (!request.archive.empty()) {
            TRY(image::writeOciArchive(*built, result.image, request.archive));
        }
    } else {
        std::error_code ec;
        if (!fs::exists(request.context / "Dockerfile", ec)) {
            return fail(Code::FailedPrecondition,
                        "{} has neither a faasd host recipe in template.yml nor a Dockerfile",
                        request.context.string());
        }
        result.method = "buildah";
        TRY_ASSIGN(auto dir, TempDir::create("faasd-buildah-"));
        work.emplace(std::move(dir));
        archive = request.archive.empty() ? work->path() / "image.tar" : request.archive;
        TRY(buildWithBuildah(request, env, work->path(), archive, say));
    }

    if (env.containerdSocket.empty()) {
        return result;
    }
    TRY_ASSIGN(auto client, containerd::Client::connect({.socket = env.containerdSocket,
                                                         .timeout = std::chrono::seconds(120)}));
    auto scoped = client.withNamespace(request.ns);
    ImageRollback rollback(scoped, result.image);
    if (built) {
        TRY_ASSIGN(auto record, withContext(image::storeImage(scoped, result.image, built->config,
                                                              built->layers),
                                            "storing the image in containerd"));
        if (record.target.digest != result.digest) {
            return fail(Code::Internal, "containerd holds {} as {}, not {}", result.image,
                        record.target.digest, result.digest);
        }
    } else {
        TRY_ASSIGN(auto record, withContext(image::importArchive(scoped, archive, result.image),
                                            "importing the image into containerd"));
        result.digest = record.target.digest;
    }
    say(fmt::format("[{}] stored {} {} in containerd namespace {}", request.name, result.image,
                    result.digest, request.ns));
    if (request.push && namesRegistry(request.image)) {
        say(fmt::format("[{}] pushing {}", request.name, result.image));
        TRY(withContext(image::pushImage(scoped, result.image, ref, env.registry),
                        fmt::format("pushing {}", result.image)));
        result.pushed = true;
    }
    rollback.commit();
    return result;
}

} // namespace faasd::build
