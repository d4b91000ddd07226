#pragma once

// The triggers' tests' helpers: schedules that must parse, and UTC instants
// as text ("2026-03-29T01:00:00Z").

#include "triggers/schedule.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <fmt/format.h>
#include <string>
#include <string_view>

namespace faasd::triggers::test {

inline Schedule schedule(std::string_view text, std::string_view zone = {}) {
    auto parsed = Schedule::parse(text, zone);
    REQUIRE(parsed);
    return *parsed;
}

inline SysSeconds at(std::string_view text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (std::sscanf(std::string(text).c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) !=
        6) {
        throw std::invalid_argument(std::string(text));
    }
    auto day = std::chrono::sys_days{std::chrono::year{y} / mo / d};
    return day + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

inline std::string iso(SysSeconds t) {
    auto day = std::chrono::floor<std::chrono::days>(t);
    std::chrono::year_month_day ymd{day};
    std::chrono::hh_mm_ss hms{t - day};
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                       static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                       hms.hours().count(), hms.minutes().count(), hms.seconds().count());
}

inline std::string iso(std::optional<SysSeconds> t) {
    return t ? iso(*t) : "never";
}

inline std::vector<std::string> isos(const std::vector<SysSeconds>& times) {
    std::vector<std::string> out;
    for (auto t : times) {
        out.push_back(iso(t));
    }
    return out;
}

// The first `n` runs after `after`, as text.
inline std::vector<std::string> runs(const Schedule& schedule, std::string_view after, int n) {
    std::vector<std::string> out;
    std::optional<SysSeconds> t = at(after);
    for (int i = 0; i < n && t; ++i) {
        t = schedule.next(*t);
        out.push_back(iso(t));
    }
    return out;
}

} // namespace faasd::triggers::test
