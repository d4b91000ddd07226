#pragma once

// Small string helpers shared by every component: ASCII case folding (HTTP
// names, schemes, hosts; never locale-dependent), ASCII blanks, splitting,
// and percent-decoding.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd {

constexpr char asciiLower(char c) noexcept {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

// "Content-Type" -> "content-type"; bytes outside A-Z are kept as they are.
std::string asciiLower(std::string_view text);

// ASCII case-insensitive equality, as HTTP field names and schemes compare.
constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size()) {
        return false;
    }
    for (size_t i = 0; i < a.size(); ++i) {
        if (asciiLower(a[i]) != asciiLower(b[i])) {
            return false;
        }
    }
    return true;
}

// iequals on text's first prefix.size() bytes.
constexpr bool istartsWith(std::string_view text, std::string_view prefix) noexcept {
    return text.size() >= prefix.size() && iequals(text.substr(0, prefix.size()), prefix);
}

// Space, tab, newline, carriage return, form feed, vertical tab: the C
// locale's isspace, without the locale.
constexpr bool isBlank(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// text without its leading and trailing blanks.
constexpr std::string_view trimBlank(std::string_view text) noexcept {
    while (!text.empty() && isBlank(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && isBlank(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

// "a,,b" -> {"a", "", "b"}; "" -> {""}: empty parts are kept for the caller
// to refuse or skip.
std::vector<std::string_view> splitOn(std::string_view text, char sep);

// The blank-separated words of text: " a \tb " -> {"a", "b"}.
std::vector<std::string_view> splitWords(std::string_view text);

// '0'-'9', 'a'-'f', 'A'-'F' -> 0-15; anything else -> -1.
constexpr int hexDigitValue(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// Whether '+' stands for a space, as in HTML form and query encoding.
enum class PlusIs { Plus, Space };

// "a%20b" -> "a b"; nullopt when a '%' is not followed by two hex digits.
std::optional<std::string> percentDecode(std::string_view text, PlusIs plus = PlusIs::Plus);
// The same, keeping a '%' that is not followed by two hex digits as it is.
std::string percentDecodeLenient(std::string_view text, PlusIs plus = PlusIs::Plus);

// A Prometheus label value: backslash, double quote and newline escaped.
std::string prometheusLabelValue(std::string_view text);

} // namespace faasd
