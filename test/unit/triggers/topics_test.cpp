// A function's MQTT topic filters and reply topic read from its
// annotations, and topic matching as MQTT 4.7 defines it.

#include "triggers/topics.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::triggers;

namespace {

std::string topicsError(const api::StringMap& annotations) {
    auto topics = mqttTopics(annotations);
    if (topics) {
        return "no error";
    }
    CHECK(topics.error().code() == Code::InvalidArgument);
    return topics.error().message();
}

std::vector<std::string> topicsOf(std::string value) {
    auto topics = mqttTopics({{"topic", std::move(value)}});
    REQUIRE(topics);
    return *topics;
}

} // namespace

TEST_CASE("valid topic filters are taken as written, trimmed") {
    const std::vector<std::string> valid = {
        "a",
        "a/b",
        "a/b/c",
        "/",
        "/a",
        "a/",
        "a//b",
        "#",
        "a/#",
        "+",
        "+/+",
        "a/+/c",
        "+/b/#",
        "sport/tennis/+",
        "$SYS/#",
        "$SYS/broker/+",
        "caf\xc3\xa9/\xe2\x82\xac",
        "a b/c d",
        "\xf0\x9f\x98\x80",
    };
    for (const auto& filter : valid) {
        INFO(filter);
        CHECK(topicsOf(filter) == std::vector<std::string>{filter});
    }
    CHECK(topicsOf(" a/b ,\tc/# ") == std::vector<std::string>{"a/b", "c/#"});
    CHECK(topicsOf(std::string(65535, 'a')).size() == 1);
}

TEST_CASE("invalid topic filters name the annotation, the filter and the rule") {
    const std::vector<std::pair<std::string, std::string>> invalid = {
        {"a/#/b", R"(topic: "a/#/b": '#' must be the last level)"},
        {"#/a", R"(topic: "#/a": '#' must be the last level)"},
        {"a#", R"(topic: "a#": '#' must be a whole level)"},
        {"a/b#", R"(topic: "a/b#": '#' must be a whole level)"},
        {"a/#b", R"(topic: "a/#b": '#' must be a whole level)"},
        {"a+", R"(topic: "a+": '+' must be a whole level)"},
        {"a/+b/c", R"(topic: "a/+b/c": '+' must be a whole level)"},
        {"++", R"(topic: "++": '+' must be a whole level)"},
        {"$share/g/a/b",
         R"(topic: "$share/g/a/b": a shared subscription: write the filter alone, faasd shares it)"},
        {"$queue/a/b",
         R"(topic: "$queue/a/b": a shared subscription: write the filter alone, faasd shares it)"},
        {std::string("a\0b", 3), R"(topic: "a\x00b": contains NUL)"},
        {"a/\xff", "topic: \"a/\xff\": not valid UTF-8"},
        {"\xc0\xaf", "topic: \"\xc0\xaf\": not valid UTF-8"},                 // overlong '/'
        {"\xed\xa0\x80", "topic: \"\xed\xa0\x80\": not valid UTF-8"},         // a surrogate
        {"\xf4\x90\x80\x80", "topic: \"\xf4\x90\x80\x80\": not valid UTF-8"}, // past U+10FFFF
        {"a\xe2\x82", "topic: \"a\xe2\x82\": not valid UTF-8"},               // cut short
        {"", "topic: empty topic"},
        {"a,,b", "topic: empty topic"},
        {"a, ", "topic: empty topic"},
    };
    for (const auto& [filter, message] : invalid) {
        INFO(filter);
        CHECK(topicsError({{"topic", filter}}) == message);
    }
    auto tooLong = topicsError({{"topic", std::string(65536, 'a')}});
    CHECK(tooLong.starts_with("topic: \"aaaa"));
    CHECK(tooLong.ends_with("...\": longer than 65535 bytes"));
}

TEST_CASE("cron-function is the cron trigger's, not a topic") {
    CHECK(topicsOf("cron-function").empty());
    CHECK(topicsOf("cron-function, a/b") == std::vector<std::string>{"a/b"});
    CHECK(topicsOf("a/b,cron-function,c") == std::vector<std::string>{"a/b", "c"});
    CHECK(topicsOf("a/b, a/b") == std::vector<std::string>{"a/b"});
    auto none = mqttTopics({{"schedule", "* * * * *"}});
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("the reply topic is a topic name") {
    auto reply = [](std::string value) {
        return mqttReplyTopic({{std::string(kReplyTopicAnnotation), std::move(value)}});
    };
    CHECK(*mqttReplyTopic({}) == "");
    CHECK(*reply(" answers/a ") == "answers/a");
    CHECK(*reply("a//b") == "a//b");
    CHECK(reply("a/+").error().message() ==
          R"(com.openfaas.mqtt.reply-topic: "a/+": a topic name has no wildcards ('+', '#'))");
    CHECK(reply("a/#").error().message() ==
          R"(com.openfaas.mqtt.reply-topic: "a/#": a topic name has no wildcards ('+', '#'))");
    CHECK(reply("  ").error().message() == "com.openfaas.mqtt.reply-topic: empty topic");
    CHECK(reply("$SYS/x").error().message() ==
          R"(com.openfaas.mqtt.reply-topic: "$SYS/x": topics starting with '$' are the broker's)");
    CHECK(reply("a\xff").error().code() == Code::InvalidArgument);
    // mqttTopics checks it too, topics or not.
    CHECK(topicsError({{"topic", "a/b"}, {std::string(kReplyTopicAnnotation), "r/+"}}) ==
          R"(com.openfaas.mqtt.reply-topic: "r/+": a topic name has no wildcards ('+', '#'))");
}

TEST_CASE("topics match filters as MQTT 4.7 says") {
    struct Case {
        std::string_view filter;
        std::string_view topic;
        bool matches;
    };
    const std::vector<Case> cases = {
        // 4.7.1.2: the multi-level wildcard, and its parent level
        {"sport/tennis/player1/#", "sport/tennis/player1", true},
        {"sport/tennis/player1/#", "sport/tennis/player1/ranking", true},
        {"sport/tennis/player1/#", "sport/tennis/player1/score/wimbledon", true},
        {"sport/#", "sport", true},
        {"sport/#", "sports", false},
        {"#", "a/b/c", true},
        {"#", "/", true},
        // 4.7.1.3: the single-level wildcard
        {"sport/tennis/+", "sport/tennis/player1", true},
        {"sport/tennis/+", "sport/tennis/player2", true},
        {"sport/tennis/+", "sport/tennis/player1/ranking", false},
        {"sport/+", "sport", false},
        {"sport/+", "sport/", true},
        {"+/+", "/finance", true},
        {"/+", "/finance", true},
        {"+", "/finance", false},
        {"+/tennis/#", "sport/tennis/player1", true},
        {"+/tennis/#", "sport/tennis", true},
        // 4.7.2: topics starting with '$'
        {"#", "$SYS/broker", false},
        {"+/monitor/Clients", "$SYS/monitor/Clients", false},
        {"$SYS/#", "$SYS/monitor/Clients", true},
        {"$SYS/monitor/+", "$SYS/monitor/Clients", true},
        // 4.7.3: exact, case-sensitive levels; '/' makes levels, empty ones too
        {"ACCOUNTS", "Accounts", false},
        {"a/b", "a/b", true},
        {"a/b", "a/b/", false},
        {"a//b", "a//b", true},
        {"a/+/b", "a//b", true},
        {"a/b", "a", false},
        {"a", "a/b", false},
    };
    for (const auto& c : cases) {
        INFO(c.filter << " ~ " << c.topic);
        CHECK(topicMatches(c.filter, c.topic) == c.matches);
    }
}
