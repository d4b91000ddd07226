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
    return "";
}

// Copies the template's files except template.yml and its skeleton, then
// the user's handler where the skeleton would be.
Result<void> stage(const Template& tmpl, const fs::path& handler, const fs::path& dir) {
    std::error_code ec;
    fs::remove_all(dir, ec);
    if (ec) {
        return fail(Code::Internal, "clearing {}: {}", dir.string(), ec.message());
    }
    fs::create_directories(dir, ec);
    if (ec) {
        return fail(Code::Internal, "creating {}: {}", dir.string(), ec.message());
    }
    for (fs::directory_iterator it(tmpl.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (name == "template.yml" || name == tmpl.handler) {
            continue;
        }
        fs::copy(it->path(), dir / name,
                 fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
        if (ec) {
            return fail(Code::Internal, "copying {}: {}", it->path().string(), ec.message());
        }
    }
    if (ec) {
        return fail(Code::Internal, "reading {}: {}", tmpl.dir.string(), ec.message());
    }
    fs::copy(handler, dir / tmpl.handler,
             fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
    if (ec) {
        return fail(Code::Internal, "copying {}: {}", handler.string(), ec.message());
    }
    return {};
}

std::vector<std::string> buildEnv(const Template& tmpl, const FunctionSource& source) {
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
    for (const auto& [k, v] : source.buildArgs) {
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

Result<image::BuiltImage> buildFunction(const FunctionSource& source, const BuildOptions& options) {
    const std::string what = fmt::format("building {}", source.name);
    auto progress = [&](const std::string& line) {
        if (options.progress) {
            options.progress(line);
        }
    };
    TRY(withContext(api::validateName("function name", source.name), what));
    TRY_ASSIGN(auto tmpl, withContext(findTemplate(options.templatesDir, source.lang), what));
    std::error_code ec;
    if (!fs::is_directory(source.handler, ec)) {
        return fail(Code::NotFound, "{}: handler folder {} does not exist", what,
                    source.handler.string());
    }
    for (const auto& tool : tmpl.tools) {
        if (!isExecutable(tool)) {
            return fail(Code::FailedPrecondition,
                        "{}: the {} template needs {}, not found in PATH{}", what, tmpl.language,
                        tool, packageHint(tool));
        }
    }
    if (tmpl.busybox && !fs::is_regular_file(options.busybox, ec)) {
        return fail(Code::FailedPrecondition,
                    "{}: the {} template needs busybox at {} (apt-get install busybox-static)",
                    what, tmpl.language, options.busybox.string());
    }

    const fs::path dir = options.buildRoot / source.name;
    progress(fmt::format("[{}] staging {} template and {} in {}", source.name, tmpl.language,
                         source.handler.lexically_normal().string(),
                         dir.lexically_normal().string()));
    TRY(withContext(stage(tmpl, source.handler, dir), what));

    const auto env = buildEnv(tmpl, source);
    for (const auto& step : tmpl.buildRun) {
        progress(fmt::format("[{}] {}", source.name, step));
        TRY_ASSIGN(auto out,
                   withContext(run({.argv = {"sh", "-c", step}, .env = env, .cwd = dir.string()},
                                   "", options.timeout),
                               fmt::format("{}: {}", what, step)));
        if (out.status != 0) {
            std::string output = out.out + out.err;
            while (!output.empty() && output.back() == '\n') {
                output.pop_back();
            }
            return fail(Code::FailedPrecondition, "{}: `{}` exited {}:\n{}", what, step, out.status,
                        output);
        }
    }

    image::FunctionImageSpec spec;
    spec.watchdog = options.watchdog;
    if (tmpl.busybox) {
        spec.busybox = options.busybox;
    }
    for (const auto& p : tmpl.pack) {
        const fs::path host = dir / p.from;
        if (!fs::exists(fs::symlink_status(host, ec))) {
            return fail(Code::FailedPrecondition, "{}: the build made no {} to pack", what, p.from);
        }
        spec.files.push_back({p.to, host});
    }
    spec.fprocess = tmpl.fprocess;
    spec.mode = tmpl.mode;
    spec.env = tmpl.environment;
    spec.labels = {{"com.openfaas.template", tmpl.language},
                   {"org.opencontainers.image.title", source.name}};
    progress(fmt::format("[{}] packing {}", source.name, source.image));
    return withContext(image::buildFunctionImage(spec), what);
}

} // namespace faasd::build
