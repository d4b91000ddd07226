#pragma once
// Splitting a fuzz input into the parts a target feeds its parser, so that
// seeds can be written by hand: the first lines are short fields, the rest
// is the document.
#include <string_view>
#include <vector>

namespace faasd::fuzz {

// The first n lines of text (without their '\n') and, last, the rest; fewer
// when text runs out.
inline std::vector<std::string_view> splitLines(std::string_view text, size_t n) {
    std::vector<std::string_view> out;
    while (out.size() < n) {
        const size_t eol = text.find('\n');
        if (eol == std::string_view::npos) {
            break;
        }
        out.push_back(text.substr(0, eol));
        text.remove_prefix(eol + 1);
    }
    out.push_back(text);
    return out;
}

inline std::string_view asText(const uint8_t* data, size_t size) {
    return {reinterpret_cast<const char*>(data), size};
}

} // namespace faasd::fuzz
