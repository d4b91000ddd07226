#include "build/template.hpp"

#include "common/files.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>
#include <yaml-cpp/yaml.h>

namespace faasd::build {
namespace fs = std::filesystem;

namespace {

// "file:line:column: field: message", from the node's position (1-based).
Error located(const std::string& file, const YAML::Mark& mark, std::string_view field,
              std::string_view message) {
    std::string where =
        mark.is_null() ? file : fmt::format("{}:{}:{}", file, mark.line + 1, mark.column + 1);
    return field.empty()
               ? Error(Code::InvalidArgument, fmt::format("{}: {}", where, message))
               : Error(Code::InvalidArgument, fmt::format("{}: {}: {}", where, field, message));
}

struct Reader {
    const std::string& file;

    Result<std::string> scalar(const YAML::Node& node, std::string_view field) const {
        if (!node.IsScalar()) {
            return fail(located(file, node.Mark(), field, "must be a string"));
        }
        return node.Scalar();
    }

    Result<bool> boolean(const YAML::Node& node, std::string_view field) const {
        bool value = false;
        if (!node.IsScalar() || !YAML::convert<bool>::decode(node, value)) {
            return fail(located(file, node.Mark(), field, "must be true or false"));
        }
        return value;
    }

    Result<std::vector<std::string>> list(const YAML::Node& node, std::string_view field) const {
        if (!node.IsSequence()) {
            return fail(located(file, node.Mark(), field, "must be a list of strings"));
        }
        std::vector<std::string> out;
        for (const auto& item : node) {
            TRY_ASSIGN(auto s, scalar(item, field));
            out.push_back(std::move(s));
        }
        return out;
    }

    Result<std::map<std::string, std::string>> map(const YAML::Node& node,
                                                   std::string_view field) const {
        if (node.IsNull()) {
            return std::map<std::string, std::string>{};
        }
        if (!node.IsMap()) {
            return fail(located(file, node.Mark(), field, "must be a map of strings"));
        }
        std::map<std::string, std::string> out;
        for (const auto& kv : node) {
            TRY_ASSIGN(auto key, scalar(kv.first, field));
            TRY_ASSIGN(auto value, scalar(kv.second, fmt::format("{}.{}", field, key)));
            out[key] = value;
        }
        return out;
    }

    Result<std::vector<PackEntry>> pack(const YAML::Node& node) const {
        if (!node.IsSequence() || node.size() == 0) {
            return fail(located(file, node.Mark(), "pack", "must be a list of {from, to}"));
        }
        std::vector<PackEntry> out;
        for (const auto& item : node) {
            if (!item.IsMap()) {
                return fail(located(file, item.Mark(), "pack", "each entry is {from, to}"));
            }
            PackEntry e;
            for (const auto& kv : item) {
                TRY_ASSIGN(auto key, scalar(kv.first, "pack"));
                if (key == "from") {
                    TRY_ASSIGN(e.from, scalar(kv.second, "pack.from"));
                } else if (key == "to") {
                    TRY_ASSIGN(e.to, scalar(kv.second, "pack.to"));
                } else if (key == "layer") {
                    TRY_ASSIGN(e.layer, scalar(kv.second, "pack.layer"));
                } else {
                    return fail(located(file, kv.first.Mark(), "pack",
                                        fmt::format("unknown field \"{}\"", key)));
                }
            }
            if (e.from.empty() || e.from.front() == '/' || e.from.find("..") != std::string::npos) {
                return fail(located(file, item.Mark(), "pack.from",
                                    "must be a path inside the build folder"));
            }
            if (e.to.empty() || e.to.front() != '/' || e.to.find("..") != std::string::npos) {
                return fail(
                    located(file, item.Mark(), "pack.to", "must be an absolute path in the image"));
            }
            if (e.layer.empty()) {
                return fail(located(file, item.Mark(), "pack.layer", "must not be empty"));
            }
            out.push_back(std::move(e));
        }
        return out;
    }

    Result<std::vector<BuildOption>> buildOptions(const YAML::Node& node) const {
        std::vector<BuildOption> out;
        if (node.IsNull()) {
            return out;
        }
        if (!node.IsSequence()) {
            return fail(
                located(file, node.Mark(), "build_options", "must be a list of {name, packages}"));
        }
        for (const auto& item : node) {
            if (!item.IsMap()) {
                return fail(
                    located(file, item.Mark(), "build_options", "each entry is {name, packages}"));
            }
            BuildOption o;
            for (const auto& kv : item) {
                TRY_ASSIGN(auto key, scalar(kv.first, "build_options"));
                if (key == "name") {
                    TRY_ASSIGN(o.name, scalar(kv.second, "build_options.name"));
                } else if (key == "packages" && !kv.second.IsNull()) {
                    TRY_ASSIGN(o.packages, list(kv.second, "build_options.packages"));
                }
            }
            if (o.name.empty()) {
                return fail(located(file, item.Mark(), "build_options.name", "is required"));
            }
            out.push_back(std::move(o));
        }
        return out;
    }

    // One key of the host recipe, at the top level (older dialect) or under
    // `faasd:`. False when key is not one of the recipe's.
    Result<bool> recipeKey(Template& t, const std::string& key, const YAML::Node& v,
                           bool& haveBuild) const {
        if (key == "mode") {
            TRY_ASSIGN(t.mode, scalar(v, key));
            static const std::set<std::string> modes{"classic", "streaming", "serializing", "http"};
            if (!modes.count(t.mode)) {
                return fail(located(file, v.Mark(), key,
                                    "must be classic, streaming, serializing or http"));
            }
        } else if (key == "busybox") {
            TRY_ASSIGN(t.busybox, boolean(v, key));
        } else if (key == "requires") {
            TRY_ASSIGN(t.tools, list(v, key));
        } else if (key == "environment") {
            TRY_ASSIGN(t.environment, map(v, key));
        } else if (key == "build") {
            if (!v.IsMap()) {
                return fail(located(file, v.Mark(), key, "must be a map with env and run"));
            }
            for (const auto& b : v) {
                TRY_ASSIGN(auto bkey, scalar(b.first, "build"));
                if (bkey == "env") {
                    TRY_ASSIGN(t.buildEnv, map(b.second, "build.env"));
                } else if (bkey == "run") {
                    TRY_ASSIGN(t.buildRun, list(b.second, "build.run"));
                } else {
                    return fail(located(file, b.first.Mark(), "build",
                                        fmt::format("unknown field \"{}\"", bkey)));
                }
            }
            haveBuild = true;
        } else if (key == "pack") {
            TRY_ASSIGN(t.pack, pack(v));
        } else {
            return false;
        }
        return true;
    }

    Result<void> handlerFolder(Template& t, const std::string& key, const YAML::Node& v) const {
        TRY_ASSIGN(t.handler, scalar(v, key));
        if (t.handler.empty() || t.handler.find('/') != std::string::npos ||
            t.handler.front() == '.') {
            return fail(located(file, v.Mark(), key, "must be a folder name in the template"));
        }
        return {};
    }
};

} // namespace

Result<Template> parseTemplate(std::string_view yaml, const std::string& file,
                               const fs::path& dir) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        return fail(located(file, e.mark, "", e.msg));
    }
    if (!root.IsMap()) {
        return fail(located(file, root.Mark(), "", "a template.yml is a map of fields"));
    }
    Reader r{file};
    Template t;
    t.dir = dir;
    bool haveBuild = false;
    bool legacyRecipe = false;
    bool haveRecipe = false;
    YAML::Node recipe;
    for (const auto& kv : root) {
        TRY_ASSIGN(auto key, r.scalar(kv.first, "field name"));
        const YAML::Node& v = kv.second;
        if (key == "language") {
            TRY_ASSIGN(t.language, r.scalar(v, key));
        } else if (key == "handler" || key == "handler_folder") {
            TRY(r.handlerFolder(t, key, v));
        } else if (key == "fprocess") {
            TRY_ASSIGN(t.fprocess, r.scalar(v, key));
        } else if (key == "welcome_message") {
            TRY_ASSIGN(t.welcomeMessage, r.scalar(v, key));
        } else if (key == "build_options") {
            TRY_ASSIGN(t.buildOptions, r.buildOptions(v));
        } else if (key == "faasd") {
            if (!v.IsMap()) {
                return fail(located(file, v.Mark(), key, "must be a map: faasd's host build"));
            }
            recipe = v;
            haveRecipe = true;
        } else {
            TRY_ASSIGN(bool isRecipe, r.recipeKey(t, key, v, haveBuild));
            legacyRecipe = legacyRecipe || isRecipe;
            // Anything else is OpenFaaS's or another tool's: ignored, as
            // faas-cli ignores what it does not know.
        }
    }
    if (haveRecipe) {
        if (legacyRecipe) {
            return fail(located(file, recipe.Mark(), "faasd",
                                "the host build is either under faasd: or at the top level, "
                                "not both"));
        }
        for (const auto& kv : recipe) {
            TRY_ASSIGN(auto key, r.scalar(kv.first, "faasd"));
            TRY_ASSIGN(bool known, r.recipeKey(t, key, kv.second, haveBuild));
            if (!known) {
                return fail(located(file, kv.first.Mark(), "faasd",
                                    fmt::format("unknown field \"{}\"", key)));
            }
        }
    }
    t.hostBuild = haveRecipe || legacyRecipe;
    const YAML::Mark top = root.Mark();
    const std::string prefix = haveRecipe ? "faasd." : "";
    if (t.language.empty()) {
        return fail(located(file, top, "language", "is required"));
    }
    if (t.hostBuild && t.fprocess.empty()) {
        return fail(located(file, top, "fprocess", "is required for a host build"));
    }
    if (t.hostBuild && t.pack.empty()) {
        return fail(located(file, haveRecipe ? recipe.Mark() : top, prefix + "pack",
                            "is required: what goes into the image"));
    }
    if (haveBuild && t.buildRun.empty()) {
        return fail(located(file, haveRecipe ? recipe.Mark() : root["build"].Mark(),
                            prefix + "build.run", "is required"));
    }
    return t;
}

Result<std::string> additionalPackages(const Template& tmpl,
                                       const std::vector<std::string>& options) {
    std::vector<std::string> packages;
    for (const auto& name : options) {
        auto it = std::find_if(tmpl.buildOptions.begin(), tmpl.buildOptions.end(),
                               [&](const BuildOption& o) { return o.name == name; });
        if (it == tmpl.buildOptions.end()) {
            std::vector<std::string> known;
            for (const auto& o : tmpl.buildOptions) {
                known.push_back(o.name);
            }
            return fail(Code::InvalidArgument,
                        "build_options: the {} template has no option \"{}\" (it has: {})",
                        tmpl.language, name,
                        known.empty() ? std::string("none")
                                      : fmt::format("{}", fmt::join(known, ", ")));
        }
        packages.insert(packages.end(), it->packages.begin(), it->packages.end());
    }
    return fmt::format("{}", fmt::join(packages, " "));
}

Result<Template> loadTemplate(const fs::path& dir) {
    const fs::path file = dir / kTemplateFile;
    TRY_ASSIGN(auto text, readFile(file));
    TRY_ASSIGN(auto t, parseTemplate(text, file.string(), dir));
    if (t.language != dir.filename().string()) {
        return fail(Code::InvalidArgument, "{}: language: \"{}\" differs from its folder name {}",
                    file.string(), t.language, dir.filename().string());
    }
    return t;
}

std::vector<fs::path> templateSearchPath(const std::string& explicitDir) {
    std::vector<fs::path> out;
    if (!explicitDir.empty()) {
        out.emplace_back(explicitDir);
    } else if (const char* env = std::getenv("FAASD_TEMPLATES_DIR"); env && *env) {
        out.emplace_back(env);
    }
#ifdef FAASD_TEMPLATES_INSTALL_DIR
    out.emplace_back(FAASD_TEMPLATES_INSTALL_DIR);
#endif
#ifdef FAASD_TEMPLATES_SOURCE_DIR
    out.emplace_back(FAASD_TEMPLATES_SOURCE_DIR);
#endif
    return out;
}

Result<fs::path> findTemplatesDir(const std::string& explicitDir) {
    auto path = templateSearchPath(explicitDir);
    std::error_code ec;
    const bool given = !explicitDir.empty() ||
                       (std::getenv("FAASD_TEMPLATES_DIR") && *std::getenv("FAASD_TEMPLATES_DIR"));
    if (given && !path.empty() && !fs::is_directory(path.front(), ec)) {
        return fail(Code::NotFound, "templates folder {} does not exist", path.front().string());
    }
    std::vector<std::string> tried;
    for (const auto& p : path) {
        if (fs::is_directory(p, ec)) {
            return p;
        }
        tried.push_back(p.string());
    }
    return fail(Code::NotFound, "no templates folder: looked in {} (set FAASD_TEMPLATES_DIR)",
                fmt::join(tried, ", "));
}

Result<std::vector<Template>> listTemplates(const fs::path& dir) {
    std::vector<fs::path> folders;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_directory() && fs::exists(it->path() / kTemplateFile)) {
            folders.push_back(it->path());
        }
    }
    if (ec) {
        return fail(Code::Internal, "listing templates in {}: {}", dir.string(), ec.message());
    }
    std::sort(folders.begin(), folders.end());
    std::vector<Template> out;
    for (const auto& f : folders) {
        TRY_ASSIGN(auto t, loadTemplate(f));
        out.push_back(std::move(t));
    }
    return out;
}

Result<Template> findTemplate(const fs::path& dir, std::string_view lang) {
    std::error_code ec;
    const bool safe =
        !lang.empty() && lang.find('/') == std::string_view::npos && lang.front() != '.';
    if (safe && fs::exists(dir / lang / kTemplateFile, ec)) {
        return loadTemplate(dir / lang);
    }
    std::vector<std::string> names;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (it->is_directory() && fs::exists(it->path() / kTemplateFile)) {
            names.push_back(it->path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    return fail(Code::NotFound, "no template for language \"{}\"; available: {} (in {})", lang,
                names.empty() ? std::string("none") : fmt::format("{}", fmt::join(names, ", ")),
                dir.string());
}

} // namespace faasd::build
