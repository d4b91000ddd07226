#pragma once

// Fetching a template source for `faasd template pull` (template_repo.cpp),
// internal to the build component.

#include "build/template_repo.hpp"
#include "common/error.hpp"
#include "common/files.hpp"

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>

namespace faasd::build {

// A fetched source: the folder to look for templates in, and whatever
// temporary folder holds it.
struct FetchedTemplates {
    std::optional<TempDir> temp;
    std::filesystem::path root;
    std::string label; // the source as recorded
};

// A git URL (with an optional #ref) is cloned, a .tar, .tar.gz or .tgz file
// unpacked, a folder used as it is; no source means the installed templates.
Result<FetchedTemplates> fetchTemplateSource(const PullOptions& options);

// Whether path is base or below it; both canonical.
inline bool within(const std::filesystem::path& path, const std::filesystem::path& base) {
    return std::mismatch(base.begin(), base.end(), path.begin(), path.end()).first == base.end();
}

} // namespace faasd::build
