#include "build/template_repo.hpp"

#include "build/template.hpp"
#include "build/template_fetch.hpp"
#include "common/files.hpp"
#include "common/scope_exit.hpp"
#include "common/subprocess.hpp"
#include "common/unique_fd.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <fcntl.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <stdlib.h>
#include <unistd.h>

namespace faasd::build {
namespace fs = std::filesystem;

namespace {

// A language is a folder name faas-cli can use: no separators, no dotfiles.
Result<void> checkLanguage(std::string_view lang) {
    const bool ok = !lang.empty() && lang.front() != '.' && lang.front() != '-' &&
                    std::all_of(lang.begin(), lang.end(), [](char c) {
                        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                               (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
                    });
    if (!ok) {
        return fail(Code::InvalidArgument,
                    "\"{}\" is not a template name (letters, digits, '-', '_', '.')", lang);
    }
    return {};
}

std::string rfc3339Now() {
    std::time_t now = std::time(nullptr);
    std::tm utc{};
    ::gmtime_r(&now, &utc);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return buf;
}

bool isDir(const fs::path& p) {
    std::error_code ec;
    return fs::is_directory(p, ec);
}

bool hasTemplateFile(const fs::path& dir) {
    std::error_code ec;
    return fs::exists(dir / kTemplateFile, ec);
}

// The sub-folders of dir, sorted, dot-folders left out.
std::vector<fs::path> subFolders(const fs::path& dir) {
    std::vector<fs::path> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code typeEc;
        if (it->path().filename().string().front() != '.' && it->is_directory(typeEc)) {
            out.push_back(it->path());
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

// The languages of the templates in dir (folders holding a template.yml).
std::vector<std::string> languagesIn(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& f : subFolders(dir)) {
        if (hasTemplateFile(f)) {
            out.push_back(f.filename().string());
        }
    }
    return out;
}

// Links inside a template must stay inside it: a copy elsewhere (and a
// build folder made from it) would otherwise reach files it never held.
Result<void> checkLinks(const fs::path& dir, std::string_view what) {
    std::error_code ec;
    const fs::path base = fs::canonical(dir, ec);
    if (ec) {
        return fail(Code::Internal, "{}: {}", dir.string(), ec.message());
    }
    for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        if (!it->is_symlink()) {
            continue;
        }
        const fs::path target = fs::read_symlink(it->path(), ec);
        if (ec) {
            break;
        }
        std::error_code resolveEc;
        const fs::path resolved =
            fs::weakly_canonical(it->path().parent_path() / target, resolveEc);
        if (target.is_absolute() || resolveEc || !within(resolved, base)) {
            return fail(Code::InvalidArgument, "{}: the link to {} leaves {}",
                        it->path().lexically_relative(dir).string(), target.string(), what);
        }
    }
    if (ec) {
        return fail(Code::Internal, "reading {}: {}", dir.string(), ec.message());
    }
    return {};
}

// Copies a template folder: files keep their permission bits, links stay
// links (checkLinks has vetted them), anything else is refused.
Result<void> copyTemplateFolder(const fs::path& from, const fs::path& to) {
    std::error_code ec;
    fs::create_directory(to, ec);
    for (fs::recursive_directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
        const fs::path dest = to / it->path().lexically_relative(from);
        const auto status = it->symlink_status(ec);
        if (ec) {
            break;
        }
        if (fs::is_symlink(status)) {
            fs::copy_symlink(it->path(), dest, ec);
        } else if (fs::is_directory(status)) {
            fs::create_directory(dest, ec);
            if (!ec) {
                fs::permissions(dest, status.permissions(), ec);
            }
        } else if (fs::is_regular_file(status)) {
            fs::copy_file(it->path(), dest, ec);
        } else {
            return fail(Code::InvalidArgument, "{}: not a file, folder or link",
                        it->path().string());
        }
        if (ec) {
            return fail(Code::Internal, "copying {} to {}: {}", it->path().string(), dest.string(),
                        ec.message());
        }
    }
    if (ec) {
        return fail(Code::Internal, "copying {} to {}: {}", from.string(), to.string(),
                    ec.message());
    }
    return {};
}

// A folder made beside another (same file system, so renames work) and
// removed with what it holds unless kept.
class StagingDir {
public:
    static Result<StagingDir> besides(const fs::path& target) {
        std::string templ =
            (target.parent_path() / ("." + target.filename().string() + ".pull-XXXXXX")).string();
        if (::mkdtemp(templ.data()) == nullptr) {
            return fail(systemError(fmt::format("creating a folder like {}", templ), errno));
        }
        return StagingDir(templ);
    }
    StagingDir(StagingDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    StagingDir& operator=(StagingDir&&) = delete;
    ~StagingDir() {
        if (!path_.empty()) {
            std::error_code ec;
            fs::remove_all(path_, ec);
        }
    }
    const fs::path& path() const { return path_; }

private:
    explicit StagingDir(fs::path path) : path_(std::move(path)) {}
    fs::path path_;
};

// --- origins ---------------------------------------------------------------

Result<void> writeOrigins(const fs::path& dir, const std::map<std::string, TemplateOrigin>& all) {
    nlohmann::ordered_json doc = nlohmann::ordered_json::object();
    for (const auto& [lang, origin] : all) {
        doc[lang] = {{"source", origin.source}, {"pulled", origin.pulled}};
    }
    return writeFileAtomic(dir / kOriginsFile, doc.dump(2) + "\n");
}

// Where the templates are inside a fetched source: its template/ folder,
// else the source itself when it holds <lang>/template.yml folders; a
// source with a single folder (a GitHub archive) is looked into once.
Result<fs::path> templatesRoot(const fs::path& dir, const std::string& label, int depth = 0) {
    if (isDir(dir / kLocalTemplatesFolder)) {
        return dir / kLocalTemplatesFolder;
    }
    if (!languagesIn(dir).empty()) {
        return dir;
    }
    if (depth == 0) {
        std::vector<fs::path> entries;
        std::error_code ec;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            if (it->path().filename().string().front() != '.') {
                entries.push_back(it->path());
            }
        }
        if (entries.size() == 1 && isDir(entries.front())) {
            return templatesRoot(entries.front(), label, 1);
        }
    }
    return fail(Code::NotFound,
                "no templates in {}: expected template/<lang>/template.yml or <lang>/template.yml",
                label);
}

std::string replaceAll(std::string s, const std::string& from, const std::string& to) {
    if (from.empty()) {
        return s;
    }
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size())) {
        s.replace(at, from.size(), to);
    }
    return s;
}

// Every folder of root as a template; the first that does not load is the
// error, its paths shown inside the source rather than in a temporary folder
// (a clone's or a tarball's).
Result<std::vector<Template>> loadAll(const fs::path& root, const FetchedTemplates& fetched) {
    auto folders = subFolders(root);
    if (folders.empty()) {
        return fail(Code::NotFound, "no templates in {}", fetched.label);
    }
    std::vector<Template> out;
    for (const auto& dir : folders) {
        const std::string lang = dir.filename().string();
        auto loaded = [&]() -> Result<Template> {
            TRY(checkLanguage(lang));
            TRY(checkLinks(dir, "the template"));
            return loadTemplate(dir);
        }();
        if (!loaded) {
            std::string message = loaded.error().message();
            if (fetched.temp) {
                message = replaceAll(message, fetched.root.string() + "/", "");
            }
            return fail(Error(loaded.error().code(),
                              fmt::format("{}: template {}: {}", fetched.label, lang, message)));
        }
        out.push_back(std::move(*loaded));
    }
    return out;
}

// Copies templates into destDir/<lang> and records their origin. Each is
// copied into a folder beside destDir first; only then are they renamed
// into place (old copies moved aside, and back if a later step fails).
Result<PullResult> install(const std::vector<Template>& templates, const fs::path& destDir,
                           bool overwrite, const std::string& source) {
    PullResult result;
    result.source = source;
    std::vector<const Template*> toWrite;
    for (const auto& t : templates) {
        std::error_code ec;
        const std::string lang = t.dir.filename().string();
        if (fs::exists(fs::symlink_status(destDir / lang, ec)) && !overwrite) {
            result.skipped.push_back(lang);
        } else {
            toWrite.push_back(&t);
        }
    }
    if (toWrite.empty()) {
        return result;
    }

    std::error_code ec;
    const fs::path dest = fs::absolute(destDir, ec).lexically_normal();
    fs::create_directories(dest.parent_path(), ec);
    if (ec) {
        return fail(Code::Internal, "creating {}: {}", dest.parent_path().string(), ec.message());
    }
    TRY_ASSIGN(auto staging, StagingDir::besides(dest));
    for (const Template* t : toWrite) {
        TRY(copyTemplateFolder(t->dir, staging.path() / t->dir.filename()));
    }

    // Commit: from here on, every step is undone if a later one fails.
    const bool destExisted = isDir(dest);
    std::vector<std::pair<std::string, bool>> moved; // lang, whether an old copy went aside
    ScopeExit rollback([&] {
        std::error_code ignored;
        for (auto it = moved.rbegin(); it != moved.rend(); ++it) {
            fs::rename(dest / it->first, staging.path() / it->first, ignored);
            if (it->second) {
                fs::rename(staging.path() / (".old-" + it->first), dest / it->first, ignored);
            }
        }
        if (!destExisted) {
            fs::remove_all(dest, ignored);
        }
    });
    fs::create_directory(dest, ec);
    if (ec) {
        return fail(Code::Internal, "creating {}: {}", dest.string(), ec.message());
    }
    for (const Template* t : toWrite) {
        const std::string lang = t->dir.filename().string();
        const fs::path target = dest / lang;
        bool aside = false;
        if (fs::exists(fs::symlink_status(target, ec))) {
            fs::rename(target, staging.path() / (".old-" + lang), ec);
            if (ec) {
                return fail(Code::Internal, "replacing {}: {}", target.string(), ec.message());
            }
            aside = true;
        }
        fs::rename(staging.path() / lang, target, ec);
        if (ec) {
            if (aside) {
                std::error_code ignored;
                fs::rename(staging.path() / (".old-" + lang), target, ignored);
            }
            return fail(Code::Internal, "writing {}: {}", target.string(), ec.message());
        }
        moved.emplace_back(lang, aside);
        result.written.push_back(lang);
    }
    auto origins = readOrigins(dest);
    const std::string now = rfc3339Now();
    for (const auto& lang : result.written) {
        origins[lang] = TemplateOrigin{source, now};
    }
    TRY(writeOrigins(dest, origins));
    rollback.release();
    return result;
}

// "a, b (in dir)" for messages.
std::string describe(const std::vector<std::string>& langs, const std::string& where) {
    return fmt::format("{} ({})",
                       langs.empty() ? "none" : fmt::format("{}", fmt::join(langs, ", ")), where);
}

bool explicitDirGiven(const std::string& explicitDir) {
    const char* env = std::getenv("FAASD_TEMPLATES_DIR");
    return !explicitDir.empty() || (env && *env);
}

} // namespace

std::map<std::string, TemplateOrigin> readOrigins(const fs::path& dir) {
    std::map<std::string, TemplateOrigin> out;
    auto text = readFile(dir / kOriginsFile);
    if (!text) {
        return out;
    }
    auto doc = nlohmann::json::parse(*text, nullptr, false);
    if (!doc.is_object()) {
        return out;
    }
    for (const auto& [lang, entry] : doc.items()) {
        if (entry.is_object() && entry.contains("source") && entry["source"].is_string()) {
            TemplateOrigin o;
            o.source = entry["source"].get<std::string>();
            if (entry.contains("pulled") && entry["pulled"].is_string()) {
                o.pulled = entry["pulled"].get<std::string>();
            }
            out[lang] = std::move(o);
        }
    }
    return out;
}

Result<PullResult> pullTemplates(const PullOptions& options) {
    TRY_ASSIGN(auto fetched, fetchTemplateSource(options));
    TRY_ASSIGN(auto root, templatesRoot(fetched.root, fetched.label));
    TRY_ASSIGN(auto templates, loadAll(root, fetched));
    return withContext(install(templates, options.destDir, options.overwrite, fetched.label),
                       fmt::format("pulling templates into {}", options.destDir.string()));
}

Result<PullResult> pullTemplates(const std::string& source, const fs::path& destDir,
                                 bool overwrite) {
    PullOptions options;
    options.source = source;
    options.destDir = destDir;
    options.overwrite = overwrite;
    return pullTemplates(options);
}

Result<Template> resolveTemplate(const fs::path& stackDir, const std::string& explicitDir,
                                 std::string_view lang) {
    TRY(checkLanguage(lang));
    const fs::path localRoot = stackDir / kLocalTemplatesFolder;
    const fs::path local = localRoot / lang;
    if (isDir(local)) {
        return loadTemplate(local);
    }
    auto installed = findTemplatesDir(explicitDir);
    if (installed && hasTemplateFile(*installed / lang)) {
        return loadTemplate(*installed / lang);
    }
    if (!installed && explicitDirGiven(explicitDir)) {
        return fail(installed.error());
    }
    std::string available = describe(languagesIn(localRoot), localRoot.string());
    if (installed) {
        available += "; " + describe(languagesIn(*installed), installed->string());
    }
    return fail(Code::NotFound,
                "no template for language \"{}\"; available: {} (faasd template pull adds more)",
                lang, available);
}

Result<Template> ensureLocalTemplate(const fs::path& stackDir, std::string_view lang,
                                     const std::string& explicitDir) {
    TRY_ASSIGN(auto found, resolveTemplate(stackDir, explicitDir, lang));
    const fs::path localRoot = stackDir / kLocalTemplatesFolder;
    const fs::path local = localRoot / lang;
    if (isDir(local)) {
        return found;
    }
    TRY(checkLinks(found.dir, "the template"));
    const std::string source =
        fmt::format("{} {}", kInstalledOrigin, found.dir.parent_path().string());
    TRY(withContext(install({found}, localRoot, false, source),
                    fmt::format("copying template {} into {}", lang, localRoot.string())));
    return loadTemplate(local);
}

Result<std::vector<TemplateListing>> listVisibleTemplates(const fs::path& stackDir,
                                                          const std::string& explicitDir) {
    std::vector<TemplateListing> out;
    std::set<std::string> shadowed;
    const fs::path localRoot = stackDir / kLocalTemplatesFolder;
    if (isDir(localRoot)) {
        auto origins = readOrigins(localRoot);
        for (const auto& lang : languagesIn(localRoot)) {
            TRY_ASSIGN(auto t, loadTemplate(localRoot / lang));
            auto origin = origins.find(lang);
            out.push_back(
                {std::move(t), true, origin != origins.end() ? origin->second.source : "local"});
            shadowed.insert(lang);
        }
    }
    auto installed = findTemplatesDir(explicitDir);
    if (!installed) {
        if (out.empty() || explicitDirGiven(explicitDir)) {
            return fail(installed.error());
        }
        return out;
    }
    TRY_ASSIGN(auto templates, listTemplates(*installed));
    for (auto& t : templates) {
        if (!shadowed.count(t.dir.filename().string())) {
            out.push_back({std::move(t), false, installed->string()});
        }
    }
    return out;
}

std::string formatTemplateTable(const std::vector<TemplateListing>& listings) {
    size_t lang = 8, mode = 4, fprocess = 8; // the headers' widths
    for (const auto& l : listings) {
        lang = std::max(lang, l.tmpl.language.size());
        mode = std::max(mode, l.tmpl.mode.size());
        fprocess = std::max(fprocess, l.tmpl.fprocess.size());
    }
    auto row = [&](std::string_view a, std::string_view b, std::string_view c, std::string_view d) {
        return fmt::format("{:<{}}  {:<{}}  {:<{}}  {}\n", a, lang, b, mode, c, fprocess, d);
    };
    std::string out = row("LANGUAGE", "MODE", "FPROCESS", "SOURCE");
    for (const auto& l : listings) {
        out += row(l.tmpl.language, l.tmpl.mode, l.tmpl.fprocess,
                   l.local ? l.source : "installed: " + l.source);
    }
    return out;
}

} // namespace faasd::build
