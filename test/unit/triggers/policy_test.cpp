// The overlap and missed-run policies, on a fake clock.

#include "times.hpp"
#include "triggers/policy.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::triggers;
using namespace faasd::triggers::test;

TEST_CASE("overlap and missed values parse, empty is the default") {
    CHECK(*parseOverlap("") == Overlap::Skip);
    CHECK(*parseOverlap("skip") == Overlap::Skip);
    CHECK(*parseOverlap("Allow") == Overlap::Allow);
    CHECK(*parseOverlap(" queue ") == Overlap::Queue);
    auto bad = parseOverlap("sometimes");
    REQUIRE(!bad);
    CHECK(bad.error().code() == Code::InvalidArgument);
    CHECK(bad.error().message() == "\"sometimes\" is not one of skip, allow, queue");

    CHECK(*parseMissed("") == Missed::One);
    CHECK(*parseMissed("one") == Missed::One);
    CHECK(*parseMissed("NONE") == Missed::None);
    CHECK(*parseMissed("all") == Missed::All);
    CHECK(parseMissed("2").error().message() == "\"2\" is not one of one, none, all");

    for (auto o : {Overlap::Skip, Overlap::Allow, Overlap::Queue}) {
        CHECK(*parseOverlap(overlapName(o)) == o);
    }
    for (auto m : {Missed::One, Missed::None, Missed::All}) {
        CHECK(*parseMissed(missedName(m)) == m);
    }
}

TEST_CASE("skip: a run due while one runs is dropped") {
    RunState state;
    CHECK(runDue(Overlap::Skip, state) == DueAction::Start);
    CHECK(runDue(Overlap::Skip, state) == DueAction::Skip);
    CHECK(state.running == 1);
    CHECK_FALSE(runEnded(state));
    CHECK(state.running == 0);
    CHECK(runDue(Overlap::Skip, state) == DueAction::Start);
}

TEST_CASE("allow: runs start beside each other") {
    RunState state;
    CHECK(runDue(Overlap::Allow, state) == DueAction::Start);
    CHECK(runDue(Overlap::Allow, state) == DueAction::Start);
    CHECK(state.running == 2);
    CHECK_FALSE(runEnded(state));
    CHECK_FALSE(runEnded(state));
    CHECK(state.running == 0);
}

TEST_CASE("queue: one run waits for the running one, later ones are dropped") {
    RunState state;
    CHECK(runDue(Overlap::Queue, state) == DueAction::Start);
    CHECK(runDue(Overlap::Queue, state) == DueAction::Wait);
    CHECK(runDue(Overlap::Queue, state) == DueAction::Skip);
    CHECK(state.waiting);
    CHECK(runEnded(state)); // the waiting run starts
    CHECK(state.running == 1);
    CHECK_FALSE(state.waiting);
    CHECK_FALSE(runEnded(state));
    CHECK(state.running == 0);
    CHECK(runDue(Overlap::Queue, state) == DueAction::Start);
}

TEST_CASE("missed runs after downtime") {
    auto hourly = schedule("0 * * * *");
    const auto last = at("2026-01-01T10:00:00Z");
    const auto now = at("2026-01-01T13:30:00Z"); // 11:00, 12:00, 13:00 missed

    SECTION("one: the latest runs, the others are dropped") {
        auto c = catchUp(hourly, Missed::One, last, now);
        CHECK(isos(c.runs) == std::vector<std::string>{"2026-01-01T13:00:00Z"});
        CHECK(c.dropped == 2);
    }
    SECTION("none: all are dropped") {
        auto c = catchUp(hourly, Missed::None, last, now);
        CHECK(c.runs.empty());
        CHECK(c.dropped == 3);
    }
    SECTION("all: each runs, oldest first") {
        auto c = catchUp(hourly, Missed::All, last, now);
        CHECK(isos(c.runs) == std::vector<std::string>{"2026-01-01T11:00:00Z",
                                                       "2026-01-01T12:00:00Z",
                                                       "2026-01-01T13:00:00Z"});
        CHECK(c.dropped == 0);
    }
    SECTION("all, bounded: the latest max run, the older ones are dropped") {
        auto c = catchUp(hourly, Missed::All, last, now, 2);
        CHECK(isos(c.runs) ==
              std::vector<std::string>{"2026-01-01T12:00:00Z", "2026-01-01T13:00:00Z"});
        CHECK(c.dropped == 1);
        auto day = catchUp(schedule("* * * * *"), Missed::All, last, last + std::chrono::hours{24});
        CHECK(day.runs.size() == kMaxCatchUp);
        CHECK(day.dropped == 24 * 60 - kMaxCatchUp);
        CHECK(iso(day.runs.back()) == "2026-01-02T10:00:00Z");
    }
    SECTION("a run due exactly now counts as missed; none after now") {
        auto c = catchUp(hourly, Missed::All, last, at("2026-01-01T12:00:00Z"));
        CHECK(isos(c.runs) ==
              std::vector<std::string>{"2026-01-01T11:00:00Z", "2026-01-01T12:00:00Z"});
    }
    SECTION("nothing missed") {
        for (auto m : {Missed::One, Missed::None, Missed::All}) {
            auto c = catchUp(hourly, m, last, at("2026-01-01T10:59:59Z"));
            CHECK(c.runs.empty());
            CHECK(c.dropped == 0);
            CHECK(catchUp(hourly, m, now, last).runs.empty());
        }
    }
}
