#include "api/validate.hpp"

#include <array>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <utility>

namespace faasd::api {

namespace {

constexpr bool isLowerAlnum(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

} // namespace

bool isValidName(std::string_view name) {
    // A table lookup a character: the invoke path checks two names a call.
    static constexpr auto kAllowed = [] {
        std::array<bool, 256> t{};
        for (int c = 0; c < 256; ++c) {
            t[static_cast<size_t>(c)] = isLowerAlnum(static_cast<char>(c)) || c == '-';
        }
        return t;
    }();
    if (name.empty() || name.size() > 63 || !isLowerAlnum(name.front()) ||
        !isLowerAlnum(name.back())) {
        return false;
    }
    bool ok = true;
    for (char c : name) {
        ok &= kAllowed[static_cast<unsigned char>(c)];
    }
    return ok;
}

Result<void> validateName(std::string_view what, std::string_view name) {
    if (name.empty()) {
        return fail(Code::InvalidArgument, "{} is empty", what);
    }
    if (name.size() > 63) {
        return fail(Code::InvalidArgument, "{} \"{}\" is longer than 63 characters", what, name);
    }
    for (char c : name) {
        if (!isLowerAlnum(c) && c != '-') {
            return fail(Code::InvalidArgument,
                        "{} \"{}\" must consist of lowercase letters, digits and '-'", what, name);
        }
    }
    if (!isLowerAlnum(name.front()) || !isLowerAlnum(name.back())) {
        return fail(Code::InvalidArgument,
                    "{} \"{}\" must start and end with a lowercase letter or digit", what, name);
    }
    return {};
}

Result<void> validateSecretName(std::string_view name) {
    if (name.empty()) {
        return fail(Code::InvalidArgument, "secret name is empty");
    }
    if (name.size() > 253) {
        return fail(Code::InvalidArgument, "secret name \"{}\" is longer than 253 characters",
                    name);
    }
    if (name.find('/') != std::string_view::npos || name.find("..") != std::string_view::npos ||
        name == ".") {
        return fail(Code::InvalidArgument, "secret name \"{}\" must not contain '/' or '..'", name);
    }
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_';
        if (!ok) {
            return fail(Code::InvalidArgument,
                        "secret name \"{}\" may contain only letters, digits, '-', '_' and '.'",
                        name);
        }
    }
    return {};
}

namespace {

// Parses a non-negative decimal number ("0.5", "128").
// 2^63: the doubles below it convert to int64_t.
constexpr double kInt64Bound = 9223372036854775808.0;

std::optional<double> parseNumber(std::string_view text) {
    if (text.empty() || text.front() == '-' || text.front() == '+') {
        return std::nullopt;
    }
    std::string s(text);
    char* end = nullptr;
    double v = std::strtod(s.c_str(), &end);
    if (end != s.c_str() + s.size() || !std::isfinite(v) || v < 0) {
        return std::nullopt;
    }
    return v;
}

} // namespace

Result<int64_t> parseMemory(std::string_view text) {
    static const std::pair<std::string_view, double> units[] = {{"Ki", 1024.0},
                                                                {"Mi", 1024.0 * 1024},
                                                                {"Gi", 1024.0 * 1024 * 1024},
                                                                {"Ti", 1024.0 * 1024 * 1024 * 1024},
                                                                {"k", 1e3},
                                                                {"K", 1e3},
                                                                {"M", 1e6},
                                                                {"G", 1e9},
                                                                {"T", 1e12}};
    double factor = 1;
    std::string_view number = text;
    for (const auto& [suffix, f] : units) {
        if (text.size() > suffix.size() && text.ends_with(suffix)) {
            factor = f;
            number = text.substr(0, text.size() - suffix.size());
            break;
        }
    }
    auto v = parseNumber(number);
    if (!v || *v * factor < 1) {
        return fail(Code::InvalidArgument,
                    "memory \"{}\" is not a size like 128Mi, 1Gi, 512M or a number of bytes", text);
    }
    if (*v * factor >= kInt64Bound) {
        return fail(Code::InvalidArgument, "memory \"{}\" is too large", text);
    }
    return static_cast<int64_t>(*v * factor);
}

Result<int64_t> parseCpu(std::string_view text) {
    std::optional<double> millis;
    if (text.size() > 1 && text.back() == 'm') {
        millis = parseNumber(text.substr(0, text.size() - 1));
    } else if (auto v = parseNumber(text)) {
        millis = *v * 1000;
    }
    if (!millis || *millis < 1) {
        return fail(Code::InvalidArgument, "cpu \"{}\" is not a quantity like 100m, 0.5 or 2",
                    text);
    }
    if (*millis >= kInt64Bound) {
        return fail(Code::InvalidArgument, "cpu \"{}\" is too large", text);
    }
    return static_cast<int64_t>(*millis);
}

} // namespace faasd::api
