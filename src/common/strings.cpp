#include "common/strings.hpp"

namespace faasd {

std::string asciiLower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        c = asciiLower(c);
    }
    return out;
}

std::vector<std::string_view> splitOn(std::string_view text, char sep) {
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

std::vector<std::string_view> splitWords(std::string_view text) {
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

namespace {

// Decodes text; a bad escape fails (strict) or is copied as it is.
std::optional<std::string> decode(std::string_view text, PlusIs plus, bool strict) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '%') {
            const bool room = i + 2 < text.size();
            const int hi = room ? hexDigitValue(text[i + 1]) : -1;
            const int lo = room ? hexDigitValue(text[i + 2]) : -1;
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
            if (strict) {
                return std::nullopt;
            }
        }
        out += plus == PlusIs::Space && c == '+' ? ' ' : c;
    }
    return out;
}

} // namespace

std::optional<std::string> percentDecode(std::string_view text, PlusIs plus) {
    return decode(text, plus, true);
}

std::string percentDecodeLenient(std::string_view text, PlusIs plus) {
    return *decode(text, plus, false);
}

std::string prometheusLabelValue(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace faasd
