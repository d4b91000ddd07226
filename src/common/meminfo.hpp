#pragma once

// The host's memory, from /proc/meminfo.

#include <cstdint>
#include <optional>
#include <string_view>

namespace faasd {

struct MemInfo {
    uint64_t totalBytes = 0;
    uint64_t availableBytes = 0; // MemAvailable
};

// nullopt when MemTotal or MemAvailable is missing.
std::optional<MemInfo> parseMeminfo(std::string_view text);
std::optional<MemInfo> readMeminfo(const char* path = "/proc/meminfo");

} // namespace faasd
