// The broker URL and the MQTT settings, checked before anything connects.

#include "triggers/mqtt_config.hpp"

#include <catch2/catch.hpp>

namespace faasd::triggers {
namespace {

TEST_CASE("broker URLs: scheme, host, port") {
    struct Case {
        const char* url;
        const char* host;
        uint16_t port;
        bool tls;
    };
    for (const Case& c :
         {Case{"mqtt://127.0.0.1:1884", "127.0.0.1", 1884, false},
          Case{"mqtt://broker", "broker", 1883, false},
          Case{"MQTT://broker/", "broker", 1883, false}, Case{"tcp://broker:1", "broker", 1, false},
          Case{"mqtts://broker.example", "broker.example", 8883, true},
          Case{"ssl://broker:9000", "broker", 9000, true}, Case{"mqtts://[::1]", "::1", 8883, true},
          Case{"mqtt://[fe80::1]:1999", "fe80::1", 1999, false}}) {
        INFO(c.url);
        auto address = parseBrokerUrl(c.url);
        REQUIRE(address);
        CHECK(address->host == c.host);
        CHECK(address->port == c.port);
        CHECK(address->tls == c.tls);
    }
}

TEST_CASE("a broker URL that is wrong says what is wrong") {
    struct Case {
        const char* url;
        const char* error;
    };
    for (const Case& c : {
             Case{"broker:1883", "not a URL"},
             Case{"http://broker", "scheme \"http\" is not mqtt or mqtts"},
             Case{"mqtt://user:pw@broker", "credentials go in the username and password"},
             Case{"mqtt://broker/topic", "a path is not allowed"},
             Case{"mqtt://:1883", "no host"},
             Case{"mqtt://broker:0", "port \"0\" is not 1-65535"},
             Case{"mqtt://broker:65536", "is not 1-65535"},
             Case{"mqtt://broker:", "is not 1-65535"},
             Case{"mqtt://::1", "an IPv6 host goes in brackets"},
             Case{"mqtt://[::1", "unclosed '['"},
         }) {
        INFO(c.url);
        auto address = parseBrokerUrl(c.url);
        REQUIRE_FALSE(address);
        CHECK(address.error().code() == Code::InvalidArgument);
        CHECK_THAT(address.error().message(), Catch::Contains(c.error));
    }
}

TEST_CASE("the settings are checked as a whole") {
    MqttConfig good{.broker = "mqtt://127.0.0.1"};
    CHECK(checkMqttConfig(good));
    auto error = [&](MqttConfig c) {
        auto checked = checkMqttConfig(c);
        REQUIRE_FALSE(checked);
        return checked.error().message();
    };
    auto c = good;
    c.clientId = "";
    CHECK_THAT(error(c), Catch::Contains("client id"));
    c = good;
    c.shareGroup = "a/b";
    CHECK_THAT(error(c), Catch::Contains("share group \"a/b\""));
    c = good;
    c.keepAlive = std::chrono::seconds(2);
    CHECK_THAT(error(c), Catch::Contains("keep-alive 2s"));
    c = good;
    c.reconnectMin = std::chrono::seconds(10);
    c.reconnectMax = std::chrono::seconds(5);
    CHECK_THAT(error(c), Catch::Contains("reconnect delays"));
    c = good;
    c.broker = "http://x";
    CHECK_THAT(error(c), Catch::Contains("scheme"));
}

} // namespace
} // namespace faasd::triggers
