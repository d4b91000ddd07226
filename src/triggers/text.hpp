#pragma once

// Splitting and trimming for the schedule grammar (ASCII blanks only, never
// locale-dependent). Internal to the triggers component.

#include <string_view>
#include <vector>

namespace faasd::triggers {

constexpr bool isBlank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

constexpr std::string_view trimBlank(std::string_view text) noexcept {
    while (!text.empty() && isBlank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && isBlank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// "a,,b" -> {"a", "", "b"}: empty parts are kept for the caller to refuse.
inline std::vector<std::string_view> splitOn(std::string_view text, char sep) {
    std::vector<std::string_view> parts;
    size_t start = 0;
    for (size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == sep) {
            parts.push_back(text.substr(start, i - start));
            start = i + 1;
        }
    }
    return parts;
}

// The blank-separated words of text.
inline std::vector<std::string_view> words(std::string_view text) {
    std::vector<std::string_view> out;
    size_t i = 0;
    while (i < text.size()) {
        if (isBlank(text[i])) {
            ++i;
            continue;
        }
        size_t start = i;
        while (i < text.size() && !isBlank(text[i])) {
            ++i;
        }
        out.push_back(text.substr(start, i - start));
    }
    return out;
}

} // namespace faasd::triggers
