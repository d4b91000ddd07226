#include "common/meminfo.hpp"

#include "common/files.hpp"

#include <charconv>

namespace faasd {

std::optional<MemInfo> parseMeminfo(std::string_view text) {
    std::optional<uint64_t> total, available;
    while (!text.empty()) {
        auto eol = text.find('\n');
        auto line = text.substr(0, eol);
        text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
        auto colon = line.find(':');
        if (colon == std::string_view::npos) {
            continue;
        }
        auto key = line.substr(0, colon);
        auto rest = line.substr(colon + 1);
        while (!rest.empty() && rest.front() == ' ') {
            rest.remove_prefix(1);
        }
        uint64_t kib = 0;
        if (std::from_chars(rest.data(), rest.data() + rest.size(), kib).ec != std::errc()) {
            continue;
        }
        if (key == "MemTotal") {
            total = kib * 1024;
        } else if (key == "MemAvailable") {
            available = kib * 1024;
        }
    }
    if (!total || !available) {
        return std::nullopt;
    }
    return MemInfo{*total, *available};
}

std::optional<MemInfo> readMeminfo(const char* path) {
    auto text = readFile(path);
    return text ? parseMeminfo(*text) : std::nullopt;
}

} // namespace faasd
