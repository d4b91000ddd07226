#include "build/function_build.hpp"

#include "api/validate.hpp"
#include "common/subprocess.hpp"

#include <cstdlib>
#include <unistd.h>

extern char** environ;

namespace faasd::build {
namespace fs = std::filesystem;

namespace {

// The Debian package that brings a tool the templates use.
std::string packageHint(const std::string& tool) {
    if (tool == "go") {
        return " (apt-get install golang-go)";
    }
    if (tool == "g++") {
        return " (apt-get install g++)";
    }
    if (tool == "python3" || tool == "pip3") {
        return " (apt-get install python3 python3-pip)";
    }
    if (tool == "node" || tool == "npm") {
        return " (apt-get install nodejs npm)";
    }
    return "";
}

// Copies the handler folder's entries into to, but for build/ and
// template/ (the stack's own folders, when the handler is the stack's
// folder), as faas-cli does.
Result<void> copyHandler(const fs::path& handler, const fs::path& to) {
    std::error_code ec;
    fs::create_directories(to, ec);
    for (fs::directory_iterator it(handler, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name == "build" || name == "template") {
            continue;
        }
        fs::copy(it->path(), to / name,
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks |
                     fs::copy_options::overwrite_existing,
                 ec);
        if (ec) {
            return fail(Code::Internal, "copying {}: {}", it->path().string(), ec.message());
        }
    }
    if (ec) {
        return fail(Code::Internal, "copying {}: {}", handler.string(), ec.message());
    }
    return {};
}

} // namespace

Result<void> stageContext(const Template& tmpl, const fs::path& handler, const fs::path& dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
        return fail(Code::Internal, "clearing {}: {}", dir.string(), ec.message());
    }
    fs::create_directories(dir, ec);
    if (ec) {
        return fail(Code::Internal, "creating {}: {}", dir.string(), ec.message());
    }
    if (tmpl.language == kDockerfileLanguage) {
        return copyHandler(handler, dir);
    }
    // Everything, template.yml and the skeleton too, as faas-cli copies it:
    // a context staged here builds the same through the builder API, and a
    // skeleton file the handler lacks is still there.
    for (fs::directory_iterator it(tmpl.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        fs::copy(it->path(), dir / name,
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
        if (ec) {
            return fail(Code::Internal, "copying {}: {}", it->path().string(), ec.message());
        }
    }
    if (ec) {
        return fail(Code::Internal, "reading {}: {}", tmpl.dir.string(), ec.message());
    }
    return copyHandler(handler, dir / tmpl.handler);
}

namespace {

std::vector<std::string> buildEnv(const Template& tmpl,
                                  const std::map<std::string, std::string>& buildArgs) {
    std::map<std::string, std::string> env;
    for (char** e = environ; e && *e; ++e) {
        std::string_view kv(*e);
        auto eq = kv.find('=');
        if (eq != std::string_view::npos) {
            env[std::string(kv.substr(0, eq))] = std::string(kv.substr(eq + 1));
        }
    }
    for (const auto& [k, v] : tmpl.buildEnv) {
        env[k] = v;
    }
    for (const auto& [k, v] : buildArgs) {
        env[k] = v;
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env) {
        out.push_back(k + "=" + v);
    }
    return out;
}

} // namespace

Result<fs::path> findWatchdog() {
    std::error_code ec;
    if (const char* env = std::getenv("FAASD_WATCHDOG_PATH"); env && *env) {
        if (!fs::is_regular_file(env, ec)) {
            return fail(Code::NotFound, "FAASD_WATCHDOG_PATH={}: no such file", env);
        }
        return fs::path(env);
    }
    std::vector<fs::path> tried;
    auto self = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
        tried.push_back(self.parent_path() / "fwatchdog");
    }
#ifdef FAASD_WATCHDOG_BUILD_PATH
    tried.emplace_back(FAASD_WATCHDOG_BUILD_PATH);
#endif
    for (const auto& p : tried) {
        if (fs::is_regular_file(p, ec)) {
            return p;
        }
    }
    std::vector<std::string> names;
    for (const auto& p : tried) {
        names.push_back(p.string());
    }
    return fail(Code::NotFound, "no fwatchdog: looked for {} (set FAASD_WATCHDOG_PATH)",
                fmt::join(names, ", "));
}

Result<void> checkRecipeTools(const Template& recipe, const fs::path& busybox) {
    for (const auto& tool : recipe.tools) {
        if (!isExecutable(tool)) {
            return fail(Code::FailedPrecondition, "the {} template needs {}, not found in PATH{}",
                        recipe.language, tool, packageHint(tool));
        }
    }
    std::error_code ec;
    if (recipe.busybox && !fs::is_regular_file(busybox, ec)) {
        return fail(Code::FailedPrecondition,
                    "the {} template needs busybox at {} (apt-get install busybox-static)",
                    recipe.language, busybox.string());
    }
    return {};
}

Result<image::BuiltImage> runHostRecipe(const Template& recipe, const fs::path& dir,
                                        const std::string& name,
                                        const std::map<std::string, std::string>& buildArgs,
                                        const fs::path& watchdog, const fs::path& busybox,
                                        std::chrono::milliseconds timeout,
                                        const std::function<void(const std::string&)>& progress) {
    auto say = [&](const std::string& line) {
        if (progress) {
            progress(line);
        }
    };
    TRY(checkRecipeTools(recipe, busybox));
    const auto env = buildEnv(recipe, buildArgs);
    for (const auto& step : recipe.buildRun) {
        say(fmt::format("[{}] {}", name, step));
        TRY_ASSIGN(auto out,
                   withContext(run({.argv = {"sh", "-c", step}, .env = env, .cwd = dir.string()},
                                   "", timeout),
                               step));
        if (out.status != 0) {
            std::string output = out.out + out.err;
            while (!output.empty() && output.back() == '\n') {
                output.pop_back();
            }
            return fail(Code::FailedPrecondition, "`{}` exited {}:\n{}", step, out.status, output);
        }
    }

    image::FunctionImageSpec spec;
    spec.watchdog = watchdog;
    if (recipe.busybox) {
        spec.busybox = busybox;
    }
    std::error_code ec;
    for (const auto& p : recipe.pack) {
        const fs::path host = dir / p.from;
        if (!fs::exists(fs::symlink_status(host, ec))) {
            return fail(Code::FailedPrecondition, "the build made no {} to pack", p.from);
        }
        spec.files.push_back({p.to, host, p.layer});
    }
    spec.fprocess = recipe.fprocess;
    spec.mode = recipe.mode;
    spec.env = recipe.environment;
    spec.labels = {{"com.openfaas.template", recipe.language},
                   {"org.opencontainers.image.title", name}};
    say(fmt::format("[{}] packing", name));
    return image::buildFunctionImage(spec);
}

Result<image::BuiltImage> buildFunction(const FunctionSource& source, const BuildOptions& options) {
    const std::string what = fmt::format("building {}", source.name);
    auto progress = [&](const std::string& line) {
        if (options.progress) {
            options.progress(line);
        }
    };
    TRY(withContext(api::validateName("function name", source.name), what));
    TRY_ASSIGN(auto tmpl, withContext(findTemplate(options.templatesDir, source.lang), what));
    if (!tmpl.hostBuild) {
        return fail(Code::FailedPrecondition,
                    "{}: the {} template has no host recipe (it builds from its Dockerfile)", what,
                    tmpl.language);
    }
    std::error_code ec;
    if (!fs::is_directory(source.handler, ec)) {
        return fail(Code::NotFound, "{}: handler folder {} does not exist", what,
                    source.handler.string());
    }
    TRY(withContext(checkRecipeTools(tmpl, options.busybox), what));
    const fs::path dir = options.buildRoot / source.name;
    progress(fmt::format("[{}] staging {} template and {} in {}", source.name, tmpl.language,
                         source.handler.lexically_normal().string(),
                         dir.lexically_normal().string()));
    TRY(withContext(stageContext(tmpl, source.handler, dir), what));
    return withContext(runHostRecipe(tmpl, dir, source.name, source.buildArgs, options.watchdog,
                                     options.busybox, options.timeout, options.progress),
                       what);
}

} // namespace faasd::build
