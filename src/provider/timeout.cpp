#include "provider/timeout.hpp"

#include <algorithm>
#include <cstdint>
#include <fmt/format.h>

namespace faasd::provider {

namespace {

using std::chrono::milliseconds;

Result<milliseconds> badValue(std::string_view text) {
    return fail(Code::InvalidArgument, "{:?} is not a duration (such as \"90s\" or \"1h30m\")",
                text);
}

// Nanoseconds per unit, or 0 for an unknown unit.
double unitNanos(std::string_view unit) {
    static const std::pair<std::string_view, double> units[] = {
        {"ns", 1},   {"us", 1e3}, {"\xc2\xb5s", 1e3}, {"\xce\xbcs", 1e3},
        {"ms", 1e6}, {"s", 1e9},  {"m", 60e9},        {"h", 3600e9}};
    for (const auto& [name, nanos] : units) {
        if (unit == name) {
            return nanos;
        }
    }
    return 0;
}

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

Result<milliseconds> parseUpstreamTimeout(std::string_view text) {
    if (text.empty()) {
        return badValue(text);
    }
    // Whole seconds, as the watchdogs read a plain number.
    if (std::all_of(text.begin(), text.end(), isDigit)) {
        if (text.size() > 9) {
            return badValue(text);
        }
        return milliseconds(std::stoll(std::string(text)) * 1000);
    }
    // Go's duration grammar: ([0-9]+(.[0-9]*)?|.[0-9]+)unit, repeated.
    double nanos = 0;
    size_t i = 0;
    while (i < text.size()) {
        double number = 0;
        bool digits = false;
        for (; i < text.size() && isDigit(text[i]); ++i) {
            number = number * 10 + (text[i] - '0');
            digits = true;
        }
        if (i < text.size() && text[i] == '.') {
            double scale = 0.1;
            for (++i; i < text.size() && isDigit(text[i]); ++i, scale /= 10) {
                number += (text[i] - '0') * scale;
                digits = true;
            }
        }
        const size_t unitStart = i;
        while (i < text.size() && !isDigit(text[i]) && text[i] != '.') {
            ++i;
        }
        const double per = unitNanos(text.substr(unitStart, i - unitStart));
        if (!digits || per == 0) {
            return badValue(text);
        }
        nanos += number * per;
        if (nanos > 1e18) {
            return badValue(text);
        }
    }
    // Rounded up: a function's 1ns is not the gateway's none.
    return milliseconds(static_cast<int64_t>((nanos + 999'999) / 1e6));
}

Result<UpstreamTimeout> upstreamTimeoutOf(const api::FunctionDeployment& d) {
    if (auto it = d.annotations.find(std::string(kTimeoutAnnotation)); it != d.annotations.end()) {
        auto value = parseUpstreamTimeout(it->second);
        if (!value) {
            return fail(value.error().context(fmt::format("annotation {}", kTimeoutAnnotation)));
        }
        if (value->count() == 0 || *value > kMaxUpstreamTimeout) {
            return fail(Code::InvalidArgument,
                        "annotation {}: {:?} is not more than 0 and at most 24h",
                        kTimeoutAnnotation, it->second);
        }
        return UpstreamTimeout{.value = *value, .atLeast = false};
    }
    milliseconds longest{0};
    for (const char* name : {"exec_timeout", "write_timeout"}) {
        auto it = d.envVars.find(name);
        if (it == d.envVars.end()) {
            continue;
        }
        auto value = parseUpstreamTimeout(it->second);
        if (!value) {
            return fail(value.error().context(fmt::format("envVars {}", name)));
        }
        longest = std::max(longest, *value);
    }
    if (longest.count() == 0) {
        return UpstreamTimeout{};
    }
    // The watchdog may wait longer; the gateway no longer than the cap.
    return UpstreamTimeout{.value = std::min(longest + kWatchdogGrace, kMaxUpstreamTimeout),
                           .atLeast = true};
}

} // namespace faasd::provider
