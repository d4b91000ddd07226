#include "build/buildah.hpp"

#include "build/template.hpp"
#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"
#include "image/registry.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <set>
#include <sstream>
#include <unistd.h>

namespace faasd::build {
namespace fs = std::filesystem;

namespace {

// Accept every image: what is pulled is chosen by the Dockerfile, and
// signatures are not part of OpenFaaS's builds.
constexpr std::string_view kSignaturePolicy = R"({"default":[{"type":"insecureAcceptAnything"}]})";

std::string tomlString(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') {
            out += '\\';
        }
        out += c;
    }
    return out + "\"";
}

std::vector<std::string> lines(std::string_view text) {
    std::vector<std::string> out;
    std::istringstream in{std::string(text)};
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        out.push_back(std::move(line));
    }
    return out;
}

// The registry part of an image name, when the name has one.
std::string domainOf(const std::string& image) {
    if (!namesRegistry(image)) {
        return "";
    }
    return image.substr(0, image.find('/'));
}

// "buildah" and the storage flags every buildah command of a build takes.
std::vector<std::string> buildahCommand(const BuildEnvironment& env) {
    std::vector<std::string> argv{"buildah"};
    if (!env.buildahRoot.empty()) {
        argv.insert(argv.end(), {"--root", (env.buildahRoot / "storage").string(), "--runroot",
                                 (env.buildahRoot / "run").string()});
    }
    return argv;
}

} // namespace

std::vector<std::string> dockerfileBaseImages(std::string_view dockerfile) {
    std::vector<std::string> out;
    std::set<std::string> stages;
    for (auto line : lines(dockerfile)) {
        std::istringstream words(line);
        std::string word;
        if (!(words >> word)) {
            continue;
        }
        std::transform(word.begin(), word.end(), word.begin(), ::toupper);
        if (word != "FROM") {
            continue;
        }
        std::string imageName;
        while (words >> word) {
            if (word.rfind("--", 0) != 0) {
                imageName = word;
                break;
            }
        }
        std::string as, stage;
        if (words >> as >> stage) {
            std::transform(stage.begin(), stage.end(), stage.begin(), ::tolower);
            stages.insert(stage);
        }
        std::string lowered = imageName;
        std::transform(lowered.begin(), lowered.end(), lowered.begin(), ::tolower);
        if (imageName.empty() || imageName.find('$') != std::string::npos ||
            stages.count(lowered) || lowered == "scratch") {
            continue;
        }
        out.push_back(imageName);
    }
    return out;
}

std::string registriesConf(const image::RegistryOptions& options,
                           const std::vector<std::string>& fromImages) {
    std::string out = "unqualified-search-registries = [\"docker.io\"]\n"
                      "short-name-mode = \"permissive\"\n";
    std::set<std::string> written;
    for (const auto& [domain, mirrors] : options.mirrors) {
        out += fmt::format("\n[[registry]]\nprefix = {0}\nlocation = {0}\n", tomlString(domain));
        written.insert(domain);
        for (const auto& m : mirrors) {
            auto ep = image::makeEndpoint(m, options, true);
            out += fmt::format("\n[[registry.mirror]]\nlocation = {}\ninsecure = {}\n",
                               tomlString(ep.host), ep.scheme == "http" ? "true" : "false");
        }
    }
    // Registries spoken to over plain HTTP: the listed ones, and those of
    // the base images that are on loopback.
    std::set<std::string> plain(options.insecure.begin(), options.insecure.end());
    for (const auto& img : fromImages) {
        auto domain = domainOf(img);
        if (!domain.empty() && image::makeEndpoint(domain, options).scheme == "http") {
            plain.insert(domain);
        }
    }
    for (const auto& domain : plain) {
        if (written.count(domain)) {
            continue;
        }
        out += fmt::format("\n[[registry]]\nlocation = {}\ninsecure = true\n", tomlString(domain));
    }
    return out;
}

std::string hostPlatformString() {
    auto p = image::hostPlatform();
    return p.variant.empty() ? fmt::format("{}/{}", p.os, p.architecture)
                             : fmt::format("{}/{}/{}", p.os, p.architecture, p.variant);
}

std::vector<std::string> buildahBuildArgv(const ContextBuild& request, const BuildEnvironment& env,
                                          const fs::path& work, const std::string& platform) {
    std::vector<std::string> argv = buildahCommand(env);
    argv.insert(argv.end(), {"build", "--layers", "--network", "host", "--signature-policy",
                             (work / "policy.json").string()});
    std::error_code ec;
    if (!env.registry.dockerConfig.empty() && fs::exists(env.registry.dockerConfig, ec)) {
        argv.insert(argv.end(), {"--authfile", env.registry.dockerConfig});
    }
    if (!request.platforms.empty()) {
        argv.insert(argv.end(), {"--platform", platform});
    }
    // The arguments Docker's builder fills in by itself.
    const auto slash = platform.find('/');
    const std::string os = platform.substr(0, slash);
    std::string arch = platform.substr(slash + 1);
    std::string variant;
    if (auto v = arch.find('/'); v != std::string::npos) {
        variant = arch.substr(v + 1);
        arch.resize(v);
    }
    std::map<std::string, std::string> args{
        {"TARGETPLATFORM", platform}, {"TARGETOS", os},
        {"TARGETARCH", arch},         {"TARGETVARIANT", variant},
        {"BUILDPLATFORM", platform},  {"BUILDOS", os},
        {"BUILDARCH", arch},          {"BUILDVARIANT", variant},
    };
    for (const auto& [k, v] : request.buildArgs) {
        args[k] = v;
    }
    for (const auto& [k, v] : args) {
        argv.insert(argv.end(), {"--build-arg", k + "=" + v});
    }
    argv.insert(argv.end(),
                {"-f", (request.context / "Dockerfile").string(), "-t",
                 image::parseReference(request.image).value().str(), request.context.string()});
    return argv;
}

Result<void> buildWithBuildah(const ContextBuild& request, const BuildEnvironment& env,
                              const fs::path& work, const fs::path& archive, const BuildLog& log) {
    auto say = [&](const std::string& line) {
        if (log) {
            log(line);
        }
    };
    if (!isExecutable("buildah")) {
        std::string hostBuilt;
        if (!env.templatesDir.empty()) {
            if (auto all = listTemplates(env.templatesDir)) {
                std::vector<std::string> names;
                for (const auto& t : *all) {
                    if (t.hostBuild) {
                        names.push_back(t.language);
                    }
                }
                hostBuilt =
                    fmt::format("; these templates build without it: {}", fmt::join(names, ", "));
            }
        }
        return fail(Code::FailedPrecondition,
                    "building from a Dockerfile needs buildah: apt-get install buildah{}",
                    hostBuilt);
    }
    const std::string host = hostPlatformString();
    std::string platform = host;
    if (!request.platforms.empty()) {
        platform = request.platforms.front();
        if (request.platforms.size() > 1 || platform != host) {
            return fail(Code::InvalidArgument,
                        "platforms {}: this machine builds only for {} (no emulation)",
                        fmt::join(request.platforms, ","), host);
        }
    }
    TRY_ASSIGN(auto dockerfile, readFile(request.context / "Dockerfile"));
    TRY(writeFileAtomic(work / "policy.json", std::string(kSignaturePolicy)));
    TRY(writeFileAtomic(work / "registries.conf",
                        registriesConf(env.registry, dockerfileBaseImages(dockerfile))));

    const auto environment =
        environmentWith("CONTAINERS_REGISTRIES_CONF", (work / "registries.conf").string());

    auto step = [&](std::vector<std::string> argv, std::string_view what) -> Result<void> {
        say(fmt::format("[{}] {}", request.name, fmt::join(argv, " ")));
        TRY_ASSIGN(auto out, withContext(run({.argv = std::move(argv),
                                              .env = environment,
                                              .cwd = request.context.string()},
                                             "", env.timeout),
                                         what));
        auto output = lines(out.out + out.err);
        for (const auto& l : output) {
            say(l);
        }
        if (out.status != 0) {
            const size_t keep = std::min<size_t>(output.size(), 20);
            return fail(Code::FailedPrecondition, "{}: buildah exited {}:\n{}", what, out.status,
                        fmt::join(output.end() - static_cast<long>(keep), output.end(), "\n"));
        }
        return {};
    };
    TRY(step(buildahBuildArgv(request, env, work, platform), "building the Dockerfile"));

    std::vector<std::string> push = buildahCommand(env);
    const std::string name = image::parseReference(request.image).value().str();
    const fs::path partial = archive.string() + ".partial";
    std::error_code ec;
    fs::remove(partial, ec);
    push.insert(push.end(), {"push", "--signature-policy", (work / "policy.json").string(), name,
                             "oci-archive:" + partial.string()});
    TRY(step(push, "writing the image"));
    fs::rename(partial, archive, ec);
    if (ec) {
        return fail(Code::Internal, "renaming {}: {}", partial.string(), ec.message());
    }
    return {};
}

} // namespace faasd::build
