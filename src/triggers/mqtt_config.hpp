#pragma once

// The MQTT source's settings (FAASD_MQTT_* in the daemon's environment) and
// their checks.

#include "common/error.hpp"

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace faasd::triggers {

struct MqttConfig {
    std::string broker; // mqtt://host[:port] (1883), mqtts://host[:port] (8883)
    std::string clientId = "faasd";
    std::string username;
    std::string password;
    // The shared subscription group; empty: plain subscriptions.
    std::string shareGroup = "faasd";
    std::string caFile; // mqtts: the CA bundle; empty: the system's
    std::chrono::seconds keepAlive{30};
    std::chrono::seconds reconnectMin{1}, reconnectMax{30};
};

struct BrokerAddress {
    std::string host;
    uint16_t port = 0;
    bool tls = false;
};

// "mqtt://broker:1883" -> {broker, 1883, false}; "mqtts://[::1]" ->
// {::1, 8883, true}. An error says what is wrong with the URL.
Result<BrokerAddress> parseBrokerUrl(std::string_view url);

// The whole configuration: the URL, a client id, a group name MQTT allows,
// keep-alive and reconnect delays in range.
Result<void> checkMqttConfig(const MqttConfig& config);

} // namespace faasd::triggers
