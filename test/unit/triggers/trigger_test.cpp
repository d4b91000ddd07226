// A function's annotations read as a cron trigger.

#include "triggers/trigger.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::triggers;

namespace {

std::string error(const api::StringMap& annotations) {
    auto trigger = cronTrigger(annotations);
    if (trigger) {
        return "no error";
    }
    CHECK(trigger.error().code() == Code::InvalidArgument);
    return trigger.error().message();
}

} // namespace

TEST_CASE("a function without the cron-function topic has no trigger") {
    CHECK(*cronTrigger({}) == std::nullopt);
    CHECK(*cronTrigger({{"schedule", "*/5 * * * *"}}) == std::nullopt);
    CHECK(*cronTrigger({{"topic", "kafka"}, {"schedule", "*/5 * * * *"}}) == std::nullopt);
    // Not even read: a bad schedule without the topic is no error.
    CHECK(*cronTrigger({{"topic", "orders"}, {"schedule", "bad"}}) == std::nullopt);
}

TEST_CASE("cron-connector's annotations give a trigger with the defaults") {
    auto trigger = cronTrigger({{"topic", "cron-function"}, {"schedule", "*/5 * * * *"}});
    REQUIRE(trigger);
    REQUIRE(trigger->has_value());
    const auto& t = **trigger;
    CHECK(t.schedule.text() == "*/5 * * * *");
    CHECK(t.schedule.timeZone() == "UTC");
    CHECK(t.overlap == Overlap::Skip);
    CHECK(t.missed == Missed::One);
    CHECK_FALSE(t.sync);
}

TEST_CASE("faasd's annotations set zone, policies, body and mode") {
    auto trigger = cronTrigger({{"topic", "kafka, cron-function"},
                                {"schedule", "0 9 * * MON-FRI"},
                                {"com.openfaas.trigger.mode", "sync"},
                                {"com.openfaas.schedule.body", "{\"job\":1}"},
                                {"com.openfaas.schedule.timezone", "Europe/Berlin"},
                                {"com.openfaas.schedule.overlap", "queue"},
                                {"com.openfaas.schedule.missed", "all"}});
    REQUIRE(trigger);
    REQUIRE(trigger->has_value());
    const auto& t = **trigger;
    CHECK(t.schedule.timeZone() == "Europe/Berlin");
    CHECK(t.overlap == Overlap::Queue);
    CHECK(t.missed == Missed::All);
    CHECK(t.sync);
    CHECK(t.body == "{\"job\":1}");
    auto other = cronTrigger({{"topic", "cron-function"}, {"schedule", "@daily"}});
    CHECK_FALSE((**other).sync);
    CHECK((**other).body.empty());
}

TEST_CASE("errors name the annotation") {
    CHECK(error({{"topic", "cron-function"}}) ==
          "schedule: missing (topic cron-function needs a schedule)");
    CHECK(error({{"topic", "cron-function"}, {"schedule", "*/0 * * * *"}}) ==
          "schedule: schedule \"*/0 * * * *\": minute: step 0");
    CHECK(error({{"topic", "cron-function"},
                 {"schedule", "@daily"},
                 {"com.openfaas.schedule.timezone", "Mars/Olympus"}}) ==
          "com.openfaas.schedule.timezone: unknown time zone \"Mars/Olympus\"");
    CHECK(error({{"topic", "cron-function"},
                 {"schedule", "@daily"},
                 {"com.openfaas.schedule.overlap", "sometimes"}}) ==
          "com.openfaas.schedule.overlap: \"sometimes\" is not one of skip, allow, queue");
    CHECK(error({{"topic", "cron-function"},
                 {"schedule", "@daily"},
                 {"com.openfaas.schedule.missed", "most"}}) ==
          "com.openfaas.schedule.missed: \"most\" is not one of one, none, all");
    CHECK(error({{"topic", "cron-function"},
                 {"schedule", "@daily"},
                 {"com.openfaas.trigger.mode", "later"}}) ==
          "com.openfaas.trigger.mode: \"later\" is not one of async, sync");
}
