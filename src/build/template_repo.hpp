#pragma once

// Templates beside the stack file, as faas-cli keeps them: ./template/<lang>/
// holds a copy of each template the folder's functions use, and faas-cli
// (new, build, deploy) and faasd read the same copy. `faasd template pull`
// fills ./template from a git repository, a local folder or a tarball;
// `faasd new` copies the installed template there when it is missing.
// Where each copy came from is kept in ./template/.faasd-origins.json
// (faas-cli skips dotfiles there):
//
//   {"bash": {"source": "https://github.com/me/templates#main",
//             "pulled": "2024-05-01T12:00:00Z"}}

#include "build/template.hpp"
#include "common/error.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::build {

// The folder beside the stack file, and in template repositories.
inline constexpr std::string_view kLocalTemplatesFolder = "template";
inline constexpr std::string_view kOriginsFile = ".faasd-origins.json";
// The origin recorded for copies of faasd's own templates (then their folder).
inline constexpr std::string_view kInstalledOrigin = "faasd (installed)";

struct TemplateOrigin {
    std::string source; // as given to pull: URL#ref, absolute path, or kInstalledOrigin + path
    std::string pulled; // RFC 3339, UTC
};

struct PullOptions {
    // A git URL (http(s)://, ssh://, git://, file://, git@host:path, or
    // anything ending in .git; "#ref" picks a branch or tag), a local folder,
    // or a .tar/.tar.gz/.tgz file. Empty: faasd's installed templates
    // (findTemplatesDir(templatesDir)).
    std::string source;
    std::string templatesDir;      // for an empty source; empty: the usual search path
    std::filesystem::path destDir; // usually <stack folder>/template
    bool overwrite = false;        // replace templates destDir already has
    std::chrono::milliseconds gitTimeout{std::chrono::minutes(2)};
};

struct PullResult {
    std::string source;               // as recorded in the origins file
    std::vector<std::string> written; // languages copied into destDir
    std::vector<std::string> skipped; // already in destDir, kept (no overwrite)
};

// Copies every template of the source into destDir/<lang>. Inside the
// source the templates are the template/ folder (a template repository),
// else the <lang>/template.yml folders directly in it; a source holding a
// single folder (as GitHub's archives do) is looked into. Every template
// must load before anything is written (errors name file:line); each one
// is staged beside destDir and renamed into place, so a failure leaves
// destDir as it was.
Result<PullResult> pullTemplates(const PullOptions& options);
Result<PullResult> pullTemplates(const std::string& source, const std::filesystem::path& destDir,
                                 bool overwrite);

// The template for lang as seen from a stack file's folder: stackDir's
// template/<lang> when that folder exists, else the installed one
// (findTemplatesDir(explicitDir)). NotFound lists the languages of both.
Result<Template> resolveTemplate(const std::filesystem::path& stackDir,
                                 const std::string& explicitDir, std::string_view lang);

// Makes sure stackDir/template/<lang> exists: copies the installed
// template there when it is missing (origin kInstalledOrigin + the
// installed folder). Returns the template loaded from stackDir/template.
Result<Template> ensureLocalTemplate(const std::filesystem::path& stackDir, std::string_view lang,
                                     const std::string& explicitDir);

struct TemplateListing {
    Template tmpl;
    bool local = false; // in stackDir/template (else installed)
    std::string source; // the recorded origin, "local" when unrecorded, or the installed folder
};

// Every template visible from stackDir: the local ones (sorted) with their
// origin, then the installed ones not shadowed by a local one.
Result<std::vector<TemplateListing>> listVisibleTemplates(const std::filesystem::path& stackDir,
                                                          const std::string& explicitDir);

// A table of listings: LANGUAGE, MODE, FPROCESS, SOURCE.
std::string formatTemplateTable(const std::vector<TemplateListing>& listings);

// The origins recorded in dir/.faasd-origins.json (empty when there is none
// or it cannot be read: it is a note, not a source of truth).
std::map<std::string, TemplateOrigin> readOrigins(const std::filesystem::path& dir);

} // namespace faasd::build
