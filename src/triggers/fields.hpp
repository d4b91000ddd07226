#pragma once

// The five fields of a cron expression, "minute hour day-of-month month
// day-of-week", as cron-connector reads them (robfig/cron v3's standard
// parser), held as bit sets and matched against wall-clock (local) time.
//
//   field          values   names
//   minute         0-59
//   hour           0-23
//   day-of-month   1-31
//   month          1-12     JAN-DEC (any case)
//   day-of-week    0-6      SUN-SAT (any case); 0 is Sunday, 7 is refused
//
// Each field is a comma list of items: `*` or `?` (every value), `n`, `a-b`,
// each optionally with a step `/s` (s >= 1): `*/15`, `10-40/10`, and `5/15`,
// which means `5-max/15`.
//
// Day-of-month and day-of-week: when both are restricted, a day matches if
// either matches ("0 0 1 * MON": the 1st and every Monday); when either is
// written as `*` or `?` (a step of 1 included, `*/2` is a restriction),
// both must match. This is robfig's rule, to the letter.

#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

namespace faasd::triggers {

// A wall-clock time in some time zone, to the second.
using LocalSeconds = std::chrono::local_seconds;

struct CronFields {
    uint64_t minutes = 0; // bit m: minute m
    uint32_t hours = 0;   // bit h: hour h
    uint32_t days = 0;    // bit d: day of month d (1-31)
    uint16_t months = 0;  // bit m: month m (1-12)
    uint8_t weekdays = 0; // bit w: day of week w (0 = Sunday)
    bool daysStar = true; // day-of-month written as * or ?: it does not restrict
    bool weekdaysStar = true;

    // Every hour of the day is in the hour field ("*", "0-23", "*/1").
    bool everyHour() const { return hours == (1u << 24) - 1; }

    bool matchesDay(std::chrono::year_month_day day) const;

    // The first whole minute at or after `from` and before `until` whose
    // fields all match.
    std::optional<LocalSeconds> nextMatch(LocalSeconds from, LocalSeconds until) const;
};

// Parses the five whitespace-separated fields. Errors name the field and what
// is wrong: "minute: step 0", "day-of-week: 7 is out of range 0-6 (Sunday is
// 0)". A day-of-month that falls in none of the months given ("0 0 30 2 *")
// is an error too: the schedule would never run.
Result<CronFields> parseCronFields(std::string_view text);

// The fields of @yearly/@annually, @monthly, @weekly, @daily/@midnight and
// @hourly (exact, lower case, as robfig spells them); nullopt for any other.
std::optional<CronFields> descriptorFields(std::string_view descriptor);

} // namespace faasd::triggers
