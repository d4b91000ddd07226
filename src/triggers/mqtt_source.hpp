#pragma once

// MQTT topics as triggers (libmosquitto): each function's `topic` filters
// (topics.hpp) are subscribed at QoS 1 in one persistent session, and each
// message is a run of every function whose filter matches its topic:
//
//   POST /function/<name>   body: the payload
//   X-Topic: <the message's topic>, X-Connector: faasd-mqtt
//
// Nothing is lost across a restart, even a kill: the session outlives the
// connection (a fixed client id, clean session off), so the broker keeps
// what arrives while the daemon is down, and a message is acknowledged only
// once every run it starts is safe (an async run committed to the queue).
// At least once: after a crash between the commit and the acknowledgement
// the broker sends the message again.
//
// The subscriptions are shared ("$share/<group>/<filter>"), so that daemons
// with client ids of their own and one group split the messages. A client
// id must stay the same across restarts: the broker keeps queueing a share
// of the group's messages for every persistent session it has seen, gone or
// not (mosquitto 2.0.11 deals them round robin to offline members too).

#include "triggers/mqtt_config.hpp"
#include "triggers/source.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::triggers {

class MqttSource : public Source {
public:
    // config is checked with checkMqttConfig; a wrong one is logged and
    // the source never connects.
    MqttSource(MqttConfig config, Delivery& delivery);
    ~MqttSource() override;
    MqttSource(const MqttSource&) = delete;
    MqttSource& operator=(const MqttSource&) = delete;

    std::string_view kind() const override { return "mqtt"; }
    Result<bool> check(const api::StringMap& annotations) const override;
    void sync(const std::vector<FunctionAnnotations>& functions) override;
    // Waits for a deliver() to this function already under way.
    void forget(const api::FunctionRef& function) override;
    // Connects in the background, and reconnects with backoff after a loss.
    void start() override;
    // A message whose runs are not all safe yet is left unacknowledged, for
    // the broker to send again. Idempotent.
    void stop() override;

    std::vector<gateway::TriggerInfo> list() const override;
    // faasd_trigger_mqtt_connected and faasd_trigger_mqtt_messages_total;
    // the per-trigger series are the hub's, from list().
    std::string prometheusText() const override;

private:
    struct Core;
    std::shared_ptr<Core> core_; // shared with the runs' RunEnded callbacks
};

} // namespace faasd::triggers
