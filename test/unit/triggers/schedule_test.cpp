// Next runs: month ends, leap days, the day-of-month/day-of-week rule,
// @every's anchor, and both DST changes of two time zones. Times are UTC;
// the comments give the wall clock.

#include "times.hpp"
#include "triggers/schedule.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::triggers;
using namespace faasd::triggers::test;
using Runs = std::vector<std::string>;

TEST_CASE("next is strictly after the time given") {
    auto s = schedule("0 * * * *");
    CHECK(iso(s.next(at("2026-01-01T10:00:00Z"))) == "2026-01-01T11:00:00Z");
    CHECK(iso(s.next(at("2026-01-01T09:59:59Z"))) == "2026-01-01T10:00:00Z");
    CHECK(iso(s.next(at("2026-12-31T23:30:00Z"))) == "2027-01-01T00:00:00Z");
}

TEST_CASE("month ends: a day a month lacks is passed over") {
    CHECK(runs(schedule("0 0 31 * *"), "2026-01-31T00:00:00Z", 4) ==
          Runs{"2026-03-31T00:00:00Z", "2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z",
               "2026-08-31T00:00:00Z"});
    CHECK(runs(schedule("30 12 30 * *"), "2026-01-30T12:30:00Z", 2) ==
          Runs{"2026-03-30T12:30:00Z", "2026-04-30T12:30:00Z"});
    CHECK(runs(schedule("0 0 28-31 2 *"), "2026-01-01T00:00:00Z", 2) ==
          Runs{"2026-02-28T00:00:00Z", "2027-02-28T00:00:00Z"});
    CHECK(runs(schedule("59 23 * * *"), "2026-02-28T23:59:00Z", 1) == Runs{"2026-03-01T23:59:00Z"});
}

TEST_CASE("Feb 29 runs in leap years only, across 2100 too") {
    CHECK(runs(schedule("0 0 29 2 *"), "2026-01-01T00:00:00Z", 3) ==
          Runs{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z", "2036-02-29T00:00:00Z"});
    CHECK(runs(schedule("0 0 28-29 2 *"), "2028-02-28T00:00:00Z", 2) ==
          Runs{"2028-02-29T00:00:00Z", "2029-02-28T00:00:00Z"});
    // 2100 is not a leap year: eight years from 2096 to 2104.
    CHECK(iso(schedule("0 0 29 2 *").next(at("2096-03-01T00:00:00Z"))) == "2104-02-29T00:00:00Z");
}

TEST_CASE("day-of-month and day-of-week: either when both are restricted") {
    // Fridays and the 13th; 2026-01-02 is a Friday, the 13th a Tuesday.
    CHECK(runs(schedule("0 0 13 * FRI"), "2026-01-01T00:00:00Z", 4) ==
          Runs{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z", "2026-01-13T00:00:00Z",
               "2026-01-16T00:00:00Z"});
    // Either written as * or ?: both must match (here: every 13th).
    CHECK(runs(schedule("0 0 13 * ?"), "2026-01-01T00:00:00Z", 2) ==
          Runs{"2026-01-13T00:00:00Z", "2026-02-13T00:00:00Z"});
    CHECK(runs(schedule("0 0 * * FRI"), "2026-01-01T00:00:00Z", 2) ==
          Runs{"2026-01-02T00:00:00Z", "2026-01-09T00:00:00Z"});
    // A step is a restriction (robfig): odd days or Mondays.
    CHECK(runs(schedule("0 0 */2 * MON"), "2026-01-08T00:00:00Z", 3) ==
          Runs{"2026-01-09T00:00:00Z", "2026-01-11T00:00:00Z", "2026-01-12T00:00:00Z"});
    // */1 is the same as *.
    CHECK(runs(schedule("0 0 */1 * MON"), "2026-01-01T00:00:00Z", 1) ==
          Runs{"2026-01-05T00:00:00Z"});
}

TEST_CASE("@every counts from its anchor and does not drift") {
    const auto start = at("2026-01-01T10:00:07Z");
    auto s = schedule("@every 1h30m").anchored(start);
    // The previous run + the interval: robfig's start + n * interval.
    CHECK(iso(s.next(start)) == "2026-01-01T11:30:07Z");
    CHECK(iso(s.next(at("2026-01-01T11:30:07Z"))) == "2026-01-01T13:00:07Z");
    // Woken late, it keeps to the grid.
    CHECK(iso(s.next(at("2026-01-01T11:45:00Z"))) == "2026-01-01T13:00:07Z");
    // Asked before the anchor: the grid extends backwards.
    CHECK(iso(s.next(at("2026-01-01T10:00:06Z"))) == "2026-01-01T10:00:07Z");
    CHECK(iso(s.next(at("2026-01-01T08:29:00Z"))) == "2026-01-01T08:30:07Z");
    // Unanchored, the grid starts at the Unix epoch: @every 1h is on the hour.
    CHECK(iso(schedule("@every 1h").next(at("2026-01-01T10:20:00Z"))) == "2026-01-01T11:00:00Z");
    CHECK(iso(schedule("@every 1s").next(at("2026-01-01T10:20:00Z"))) == "2026-01-01T10:20:01Z");
}

TEST_CASE("@every follows elapsed time through DST, not the wall clock") {
    auto s = schedule("@every 1h", "Europe/Berlin");
    CHECK(runs(s, "2026-03-29T00:00:00Z", 3) ==
          Runs{"2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z", "2026-03-29T03:00:00Z"});
}

TEST_CASE("a union runs at each of its schedules, a shared instant once") {
    auto s = schedule("0 9 * * MON-FRI; 0 12 * * SAT; 0 9 * * *");
    CHECK(runs(s, "2026-01-02T09:00:00Z", 3) ==
          Runs{"2026-01-03T09:00:00Z", "2026-01-03T12:00:00Z", "2026-01-04T09:00:00Z"});
}

TEST_CASE("Europe/Berlin, spring forward: 02:00-02:59 does not exist on 2026-03-29") {
    // CET (+1) until 01:00Z, then CEST (+2): 02:00 CET is 03:00 CEST.
    SECTION("a daily run in the gap runs once at 03:00 CEST, the day after at 02:30 again") {
        CHECK(runs(schedule("30 2 * * *", "Europe/Berlin"), "2026-03-27T12:00:00Z", 3) ==
              Runs{"2026-03-28T01:30:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"});
    }
    SECTION("several runs in the gap are one run") {
        CHECK(runs(schedule("*/20 2 * * *", "Europe/Berlin"), "2026-03-28T12:00:00Z", 2) ==
              Runs{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z"});
    }
    SECTION("a run at 03:00 and one in the gap share the instant") {
        CHECK(runs(schedule("30 2 * * *; 0 3 * * *", "Europe/Berlin"), "2026-03-28T12:00:00Z", 2) ==
              Runs{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"});
    }
    SECTION("every 30 minutes: 01:30 CET, then 03:00 CEST") {
        CHECK(runs(schedule("*/30 * * * *", "Europe/Berlin"), "2026-03-29T00:00:00Z", 3) ==
              Runs{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"});
    }
    SECTION("a daily run outside the gap keeps its wall-clock time") {
        CHECK(runs(schedule("0 9 * * *", "Europe/Berlin"), "2026-03-28T12:00:00Z", 2) ==
              Runs{"2026-03-29T07:00:00Z", "2026-03-30T07:00:00Z"});
    }
}

TEST_CASE("Europe/Berlin, fall back: 02:00-02:59 occurs twice on 2026-10-25") {
    // CEST (+2) until 01:00Z, then CET (+1): 03:00 CEST is 02:00 CET.
    SECTION("a daily run in the repeated hour runs once, at the first 02:30") {
        CHECK(runs(schedule("30 2 * * *", "Europe/Berlin"), "2026-10-24T12:00:00Z", 2) ==
              Runs{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});
        // Asked during the second 02:00-02:59 (CET), it waits for the next day.
        CHECK(iso(schedule("30 2 * * *", "Europe/Berlin").next(at("2026-10-25T01:10:00Z"))) ==
              "2026-10-26T01:30:00Z");
    }
    SECTION("a schedule of every hour keeps its pace through both") {
        CHECK(runs(schedule("*/30 * * * *", "Europe/Berlin"), "2026-10-24T23:50:00Z", 5) ==
              Runs{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z",
                   "2026-10-25T01:30:00Z", "2026-10-25T02:00:00Z"});
        CHECK(runs(schedule("@hourly", "Europe/Berlin"), "2026-10-24T23:30:00Z", 3) ==
              Runs{"2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z", "2026-10-25T02:00:00Z"});
    }
    SECTION("midnight and the hours around it are untouched") {
        CHECK(runs(schedule("@daily", "Europe/Berlin"), "2026-10-24T12:00:00Z", 2) ==
              Runs{"2026-10-24T22:00:00Z", "2026-10-25T23:00:00Z"});
        CHECK(runs(schedule("0 1,3 * * *", "Europe/Berlin"), "2026-10-24T12:00:00Z", 3) ==
              Runs{"2026-10-24T23:00:00Z", "2026-10-25T02:00:00Z", "2026-10-26T00:00:00Z"});
    }
}

TEST_CASE("America/New_York, spring forward: 02:00-02:59 does not exist on 2026-03-08") {
    // EST (-5) until 07:00Z, then EDT (-4).
    CHECK(runs(schedule("30 2 * * *", "America/New_York"), "2026-03-07T00:00:00Z", 3) ==
          Runs{"2026-03-07T07:30:00Z", "2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"});
    CHECK(runs(schedule("0 * * * *", "America/New_York"), "2026-03-08T05:30:00Z", 3) ==
          Runs{"2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"});
    CHECK(runs(schedule("0 9 * * MON-FRI", "America/New_York"), "2026-03-06T15:00:00Z", 1) ==
          Runs{"2026-03-09T13:00:00Z"});
}

TEST_CASE("America/New_York, fall back: 01:00-01:59 occurs twice on 2026-11-01") {
    // EDT (-4) until 06:00Z, then EST (-5): 02:00 EDT is 01:00 EST.
    CHECK(runs(schedule("30 1 * * *", "America/New_York"), "2026-10-31T12:00:00Z", 3) ==
          Runs{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z", "2026-11-03T06:30:00Z"});
    CHECK(runs(schedule("*/30 * * * *", "America/New_York"), "2026-11-01T04:50:00Z", 5) ==
          Runs{"2026-11-01T05:00:00Z", "2026-11-01T05:30:00Z", "2026-11-01T06:00:00Z",
               "2026-11-01T06:30:00Z", "2026-11-01T07:00:00Z"});
    CHECK(runs(schedule("0 2 * * *", "America/New_York"), "2026-10-31T12:00:00Z", 2) ==
          Runs{"2026-11-01T07:00:00Z", "2026-11-02T07:00:00Z"});
}

TEST_CASE("Runs walks the same runs as next, part by part") {
    // Parts of every density, in UTC and across DST: each walk of 3,000 runs
    // (or to the end) matches next() called again and again.
    for (const char* text :
         {"*/7 * * * *; 0 5 29 6 *; @every 13m", "0 0 29 2 *; 30 2 * * 0; 0 12 1 1 *",
          "CRON_TZ=Europe/Berlin 30 2 * * *; 15 * * * 1-5", "0 0 29 2 *",
          "@every 1h; @every 90m"}) {
        INFO(text);
        const Schedule s = schedule(text);
        const auto from = at("2026-01-01T00:00:00Z");
        Schedule::Runs walk(s, from);
        auto expected = s.next(from);
        for (int i = 0; i < 3000 && expected; ++i) {
            auto got = walk.next();
            REQUIRE(got == expected);
            expected = s.next(*expected);
        }
        if (!expected) {
            CHECK_FALSE(walk.next());
        }
    }
}
