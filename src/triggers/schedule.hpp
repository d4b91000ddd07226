#pragma once

// A function's schedule: the value of its `schedule` annotation, read as
// cron-connector reads it (robfig/cron v3's standard parser), in the time
// zone of its `com.openfaas.schedule.timezone` annotation (IANA name, UTC
// when absent). Pure: no clock, the caller passes the time.
//
//   "*/5 * * * *"             five cron fields (fields.hpp)
//   "@hourly" "@daily" "@midnight" "@weekly" "@monthly" "@yearly" "@annually"
//   "@every 1h30m"            Go duration syntax (ns us ms s m h, fractions);
//                             at least 1s, sub-second parts are dropped
//   "CRON_TZ=Asia/Tokyo 0 9 * * *"   a zone for this schedule alone ("TZ="
//                             too), as robfig allows
//   "0 9 * * MON-FRI; 0 12 * * SAT"  several schedules: runs at each (the
//                             union; an instant two share runs once)
//
// Daylight saving time, for cron fields and descriptors (which follow the
// wall clock of their zone):
//   - a wall-clock time that does not exist (spring forward: 02:30 in
//     Berlin on the last Sunday of March) runs once, at the first instant
//     after the gap (03:00 CEST). robfig skips it; cron users expect a daily
//     job to run every day;
//   - a wall-clock time that occurs twice (fall back) runs once, at its first
//     occurrence; except a schedule that runs in every hour ("*/5 * * * *",
//     "@hourly"): it follows elapsed time and runs in both, so it keeps its
//     pace through the repeated hour.
//
// `@every d` follows elapsed time, not the wall clock: it runs at
// anchor + n*d. The anchor is the Unix epoch unless `anchored()` sets it;
// anchored at the time the schedule started, it is robfig's "start + n*d",
// and a run's next is the previous run + d, without drift.

#include "common/error.hpp"
#include "triggers/fields.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace date {
class time_zone;
}

namespace faasd::triggers {

using SysSeconds = std::chrono::sys_seconds;

class Schedule {
public:
    // Parses a schedule annotation. timeZone is an IANA name ("Europe/Berlin")
    // or empty for UTC. Errors (Code::InvalidArgument) quote the schedule and
    // name the field: `schedule "*/0 * * * *": minute: step 0`, `unknown time
    // zone "Mars/Olympus"`.
    static Result<Schedule> parse(std::string_view text, std::string_view timeZone = {});

    // The first run strictly after `after`; nullopt when there is none in the
    // next ten years (only "0 0 29 2 *" comes near: eight years around 2100).
    std::optional<SysSeconds> next(SysSeconds after) const;

    // This schedule with its @every parts counted from `anchor`.
    Schedule anchored(SysSeconds anchor) const;

    // The runs after a time, one at a time, as next() would give them. Each
    // part's next run is kept, so a long walk (a catch-up over months of
    // minutely runs) searches again only the part that just ran, not every
    // part at every run.
    class Runs {
    public:
        Runs(const Schedule& schedule, SysSeconds after);
        std::optional<SysSeconds> next();

    private:
        const Schedule& schedule_;
        SysSeconds last_;
        std::vector<std::optional<SysSeconds>> pending_; // per part
        std::vector<SysSeconds> searchedFrom_;           // per part
    };

    const std::string& text() const { return text_; }
    // The zone of the annotation, "UTC" when none was given.
    const std::string& timeZone() const { return timeZone_; }

private:
    struct Part {
        CronFields fields;
        const date::time_zone* zone = nullptr; // nullptr: UTC
        std::chrono::seconds every{0};         // > 0: an @every part, fields unused
    };

    static Result<Part> parsePart(std::string_view text, const date::time_zone* zone);
    std::optional<SysSeconds> nextOf(const Part& part, SysSeconds after) const;

    std::string text_;
    std::string timeZone_;
    std::vector<Part> parts_;
    SysSeconds anchor_{};
};

// Fails with `unknown time zone "Mars/Olympus"` unless name is empty (UTC) or
// a zone of the system's time zone database (/usr/share/zoneinfo).
Result<void> checkTimeZone(std::string_view name);

// Go's time.ParseDuration grammar, in whole seconds (the fraction of a second
// dropped): "1h30m", "1.5h", "90s", "2h45m30.5s". Errors name what is wrong.
Result<std::chrono::seconds> parseGoDuration(std::string_view text);

} // namespace faasd::triggers
