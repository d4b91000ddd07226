#pragma once

#include "common/error.hpp"

#include <filesystem>
#include <string>
#include <string_view>
#include <sys/types.h>

namespace faasd {

Result<std::string> readFile(const std::filesystem::path& path);

// Writes to a temporary file beside path, fsyncs it and renames it over
// path, so readers see the old content or the new, never a part.
Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view content,
                             mode_t mode = 0644);

// This machine's host name; "localhost" when it has none.
std::string hostName();

// A directory that is removed, with everything in it, on destruction.
class TempDir {
public:
    static Result<TempDir> create(std::string_view prefix);
    TempDir(TempDir&& other) noexcept : path_(std::exchange(other.path_, {})) {}
    TempDir& operator=(TempDir&&) = delete;
    TempDir(const TempDir&) = delete;
    ~TempDir();

    const std::filesystem::path& path() const { return path_; }

private:
    explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
    std::filesystem::path path_;
};

} // namespace faasd
