// The schedule grammar: every form cron-connector accepts, each shown by the
// run it gives, and the ones it refuses with their messages.

#include "times.hpp"
#include "triggers/schedule.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::triggers;
using namespace faasd::triggers::test;

namespace {

// 2026-01-01 is a Thursday.
constexpr std::string_view kStart = "2026-01-01T00:00:00Z";

std::string firstRun(std::string_view text, std::string_view zone = {}) {
    auto schedule = Schedule::parse(text, zone);
    if (!schedule) {
        return "error: " + schedule.error().message();
    }
    return iso(schedule->next(at(kStart)));
}

std::string error(std::string_view text, std::string_view zone = {}) {
    auto schedule = Schedule::parse(text, zone);
    if (schedule) {
        return "parsed";
    }
    CHECK(schedule.error().code() == Code::InvalidArgument);
    return schedule.error().message();
}

} // namespace

TEST_CASE("every form of the grammar parses to the run it means") {
    struct Row {
        std::string_view text;
        std::string_view first; // the first run after kStart
    };
    const Row rows[] = {
        {"* * * * *", "2026-01-01T00:01:00Z"},
        {"*/5 * * * *", "2026-01-01T00:05:00Z"},
        {"5 * * * *", "2026-01-01T00:05:00Z"},
        {"05 * * * *", "2026-01-01T00:05:00Z"},
        {"0,30 * * * *", "2026-01-01T00:30:00Z"},
        {"10-20/5 3 * * *", "2026-01-01T03:10:00Z"},
        {"5/15 * * * *", "2026-01-01T00:05:00Z"},
        {"0 */6 * * *", "2026-01-01T06:00:00Z"},
        {"0 9-17 * * *", "2026-01-01T09:00:00Z"},
        {"0 0 * * MON-FRI", "2026-01-02T00:00:00Z"},
        {"0 0 * * sat,Sun", "2026-01-03T00:00:00Z"},
        {"0 0 * * 0", "2026-01-04T00:00:00Z"},
        {"0 0 * * 6", "2026-01-03T00:00:00Z"},
        {"0 0 1 jan-DEC/2 *", "2026-03-01T00:00:00Z"},
        {"0 0 1 Feb *", "2026-02-01T00:00:00Z"},
        {"0 0 ? * MON", "2026-01-05T00:00:00Z"},
        {"0 0 1 * ?", "2026-02-01T00:00:00Z"},
        {"? ? ? ? ?", "2026-01-01T00:01:00Z"},
        {"0 0 1-31 * MON", "2026-01-02T00:00:00Z"}, // both restricted: either
        {"0 0 13 * FRI", "2026-01-02T00:00:00Z"},
        {"0 0 13 * *", "2026-01-13T00:00:00Z"},
        {"  */5\t* * *  *  ", "2026-01-01T00:05:00Z"},
        {"@hourly", "2026-01-01T01:00:00Z"},
        {"@daily", "2026-01-02T00:00:00Z"},
        {"@midnight", "2026-01-02T00:00:00Z"},
        {"@weekly", "2026-01-04T00:00:00Z"},
        {"@monthly", "2026-02-01T00:00:00Z"},
        {"@yearly", "2027-01-01T00:00:00Z"},
        {"@annually", "2027-01-01T00:00:00Z"},
        {"@every 10m", "2026-01-01T00:10:00Z"},
        {"@every 1h30m", "2026-01-01T01:30:00Z"},
        {"@every 1.5h", "2026-01-01T01:30:00Z"},
        {"@every 90s", "2026-01-01T00:01:30Z"},
        {"@every   2h ", "2026-01-01T02:00:00Z"},
        {"0 0 * * MON; 0 12 * * *", "2026-01-01T12:00:00Z"},
        {"@daily;@every 5h", "2026-01-01T04:00:00Z"},             // 5 h steps from the Unix epoch
        {"CRON_TZ=Asia/Tokyo 0 9 * * *", "2026-01-02T00:00:00Z"}, // 09:00 JST
        {"TZ=UTC 0 9 * * *", "2026-01-01T09:00:00Z"},
    };
    for (const auto& row : rows) {
        INFO(row.text);
        CHECK(firstRun(row.text) == row.first);
    }
}

TEST_CASE("the time zone annotation moves the wall clock, CRON_TZ= overrides it") {
    CHECK(firstRun("0 9 * * *", "Europe/Berlin") == "2026-01-01T08:00:00Z");
    CHECK(firstRun("0 9 * * *", "America/New_York") == "2026-01-01T14:00:00Z");
    CHECK(firstRun("CRON_TZ=America/New_York 0 9 * * *", "Europe/Berlin") ==
          "2026-01-01T14:00:00Z");
    CHECK(firstRun("0 9 * * *; CRON_TZ=UTC 0 9 * * *", "Europe/Berlin") == "2026-01-01T08:00:00Z");
    auto schedule = Schedule::parse("@daily", "Europe/Berlin");
    REQUIRE(schedule);
    CHECK(schedule->timeZone() == "Europe/Berlin");
    CHECK(schedule->text() == "@daily");
    CHECK(Schedule::parse("@daily")->timeZone() == "UTC");
}

TEST_CASE("invalid schedules name the field and what is wrong") {
    struct Row {
        std::string_view text;
        std::string_view message;
    };
    const Row rows[] = {
        {"", "schedule \"\": empty"},
        {"   ", "schedule \"   \": empty"},
        {"* * * *", "schedule \"* * * *\": expected 5 fields (minute hour day-of-month month "
                    "day-of-week), found 4"},
        {"* * * * * *", "schedule \"* * * * * *\": expected 5 fields (minute hour day-of-month "
                        "month day-of-week), found 6"},
        {"*/0 * * * *", "schedule \"*/0 * * * *\": minute: step 0"},
        {"60 * * * *", "schedule \"60 * * * *\": minute: 60 is out of range 0-59"},
        {"* 24 * * *", "schedule \"* 24 * * *\": hour: 24 is out of range 0-23"},
        {"* * 0 * *", "schedule \"* * 0 * *\": day-of-month: 0 is out of range 1-31"},
        {"* * 32 * *", "schedule \"* * 32 * *\": day-of-month: 32 is out of range 1-31"},
        {"* * * 13 *", "schedule \"* * * 13 *\": month: 13 is out of range 1-12"},
        {"* * * 0 *", "schedule \"* * * 0 *\": month: 0 is out of range 1-12"},
        {"* * * * 7", "schedule \"* * * * 7\": day-of-week: 7 is out of range 0-6 (Sunday is 0)"},
        {"0-60/5 * * * *", "schedule \"0-60/5 * * * *\": minute: 60 is out of range 0-59"},
        {"*/x * * * *", "schedule \"*/x * * * *\": minute: step \"x\" is not a number"},
        {"*/ * * * *", "schedule \"*/ * * * *\": minute: step \"\" is not a number"},
        {"1/2/3 * * * *", "schedule \"1/2/3 * * * *\": minute: \"1/2/3\" has more than one '/'"},
        {"1-2-3 * * * *", "schedule \"1-2-3 * * * *\": minute: \"1-2-3\" has more than one '-'"},
        {"5-3 * * * *", "schedule \"5-3 * * * *\": minute: range 5-3 runs backwards"},
        {"-1 * * * *", "schedule \"-1 * * * *\": minute: \"\" is not a number"},
        {"1,,2 * * * *", "schedule \"1,,2 * * * *\": minute: empty item in \"1,,2\""},
        {"MON * * * *", "schedule \"MON * * * *\": minute: \"MON\" is not a number"},
        {"* * * FOO *", "schedule \"* * * FOO *\": month: \"FOO\" is not a number or a month name"},
        {"* * * * FUN", "schedule \"* * * * FUN\": day-of-week: \"FUN\" is not a number or a day "
                        "name"},
        {"* * * JANUARY *",
         "schedule \"* * * JANUARY *\": month: \"JANUARY\" is not a number or a month name"},
        {"0 0 30 2 *", "schedule \"0 0 30 2 *\": day-of-month: \"30\" falls in none of the "
                       "months \"2\": it would never run"},
        {"0 0 31 4,6,9,11 *", "schedule \"0 0 31 4,6,9,11 *\": day-of-month: \"31\" falls in "
                              "none of the months \"4,6,9,11\": it would never run"},
        {"@foo", "schedule \"@foo\": unknown descriptor \"@foo\" (@every <duration>, @hourly, "
                 "@daily, @midnight, @weekly, @monthly, @yearly, @annually)"},
        {"@Daily", "schedule \"@Daily\": unknown descriptor \"@Daily\" (@every <duration>, "
                   "@hourly, @daily, @midnight, @weekly, @monthly, @yearly, @annually)"},
        {"@every", "schedule \"@every\": @every: missing duration"},
        {"@every 500ms", "schedule \"@every 500ms\": @every: the interval must be at least 1s"},
        {"@every 0s", "schedule \"@every 0s\": @every: the interval must be at least 1s"},
        {"@every 0", "schedule \"@every 0\": @every: the interval must be at least 1s"},
        {"@every -1m", "schedule \"@every -1m\": @every: the interval must be at least 1s"},
        {"@every 10", "schedule \"@every 10\": @every: missing unit in duration \"10\""},
        {"@every 1d", "schedule \"@every 1d\": @every: unknown unit \"d\" in duration \"1d\""},
        {"@every abc", "schedule \"@every abc\": @every: invalid duration \"abc\""},
        {"@every 1h 30m", "schedule \"@every 1h 30m\": @every: unknown unit \"h \" in duration "
                          "\"1h 30m\""},
        {"@every 1h;", "schedule \"@every 1h;\": empty schedule between ';'"},
        {";@daily", "schedule \";@daily\": empty schedule between ';'"},
        {"@daily; ;@hourly", "schedule \"@daily; ;@hourly\": empty schedule between ';'"},
        {"@daily; */0 * * * *", "schedule \"*/0 * * * *\": minute: step 0"},
        {"CRON_TZ=Mars/Olympus * * * * *",
         "schedule \"CRON_TZ=Mars/Olympus * * * * *\": unknown time zone \"Mars/Olympus\""},
        {"CRON_TZ=UTC", "schedule \"CRON_TZ=UTC\": nothing after CRON_TZ=UTC"},
    };
    for (const auto& row : rows) {
        INFO(row.text);
        CHECK(error(row.text) == row.message);
    }
    CHECK(error("@daily", "Mars/Olympus") == "unknown time zone \"Mars/Olympus\"");
    CHECK(checkTimeZone("Mars/Olympus").error().message() == "unknown time zone \"Mars/Olympus\"");
    CHECK(checkTimeZone("Europe/Berlin"));
    CHECK(checkTimeZone(""));
}

TEST_CASE("durations read as Go reads them, in whole seconds") {
    using std::chrono::seconds;
    CHECK(*parseGoDuration("30s") == seconds{30});
    CHECK(*parseGoDuration("1m30s") == seconds{90});
    CHECK(*parseGoDuration("2h") == seconds{7200});
    CHECK(*parseGoDuration("1.5h") == seconds{5400});
    CHECK(*parseGoDuration(".5m") == seconds{30});
    CHECK(*parseGoDuration("1500ms") == seconds{1}); // the fraction of a second is dropped
    CHECK(*parseGoDuration("2s999999us") == seconds{2});
    CHECK(*parseGoDuration("1000000000ns") == seconds{1});
    CHECK(*parseGoDuration("3000\u00b5s") == seconds{0});
    CHECK(*parseGoDuration("+1h") == seconds{3600});
    CHECK(*parseGoDuration("-1h") == seconds{-3600});
    CHECK(*parseGoDuration("0") == seconds{0});
    CHECK(*parseGoDuration("2562047h") == seconds{2562047LL * 3600}); // Go's largest hours
    CHECK(!parseGoDuration("2562048h"));
    CHECK(!parseGoDuration(""));
    CHECK(!parseGoDuration("."));
    CHECK(!parseGoDuration("h"));
    CHECK(!parseGoDuration("1"));
    CHECK(!parseGoDuration("1x"));
}
