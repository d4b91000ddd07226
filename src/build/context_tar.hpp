#pragma once

// The function builder API's upload, as faas-cli makes it: a tar holding
// `context/<files>` (a staged build folder) and `com.openfaas.docker.config`
// (the image's name, build arguments, platforms, whether to push).
//
// Nothing in the tar is trusted. Each entry is extracted by hand into a
// directory of ours, every path component opened with O_NOFOLLOW below it:
//   - names are relative, without "..", inside context/ (or the config);
//   - regular files, folders, and links that stay inside context/: a
//     symlink's target is relative, with ".." only at its start and never
//     above context/; a hard link names an earlier file in context/;
//   - no devices, fifos or sockets; no entry twice;
//   - at most maxBytes unpacked (counted while reading, so a sparse or
//     lying header cannot make more).
// Any of these is InvalidArgument, and the directory is left empty.

#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::build {

inline constexpr std::string_view kBuilderConfigFile = "com.openfaas.docker.config";
inline constexpr std::string_view kBuilderContextDir = "context";

// com.openfaas.docker.config.
struct BuilderConfig {
    std::string image; // as the user wrote it; parses as an image reference
    std::map<std::string, std::string> buildArgs;
    std::vector<std::string> platforms;
    bool skipPush = false;
};

// Parses and checks the config file's JSON (absent or null fields are
// empty). A bad one is InvalidArgument naming the field.
Result<BuilderConfig> parseBuilderConfig(std::string_view json);

struct ExtractedContext {
    BuilderConfig config;
    std::filesystem::path context; // <dir>/context
    uint64_t entries = 0;          // files, folders and links under context/
    uint64_t bytes = 0;            // file content unpacked
};

// Extracts tar into dir, an existing empty directory.
Result<ExtractedContext> extractContextTar(std::string_view tar, const std::filesystem::path& dir,
                                           uint64_t maxBytes);

} // namespace faasd::build
