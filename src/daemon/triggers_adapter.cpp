#include "daemon/triggers_adapter.hpp"

#include "common/files.hpp"
#include "common/strings.hpp"
#include "triggers/cron_source.hpp"
#include "triggers/mqtt_source.hpp"

namespace faasd::daemon {

namespace {

Result<triggers::MqttConfig> mqttConfigFrom(const config::TriggerSettings& t) {
    triggers::MqttConfig mqtt{.broker = t.mqttBroker};
    mqtt.clientId = t.mqttClientId.empty() ? "faasd-" + hostName() : t.mqttClientId;
    mqtt.username = t.mqttUsername;
    if (!t.mqttPasswordFile.empty()) {
        TRY_ASSIGN(auto password,
                   withContext(readFile(t.mqttPasswordFile), "FAASD_MQTT_PASSWORD_FILE"));
        mqtt.password = std::string(trimBlank(password));
    }
    mqtt.shareGroup = t.mqttShareGroup;
    mqtt.caFile = t.mqttCaFile;
    TRY(triggers::checkMqttConfig(mqtt));
    return mqtt;
}

} // namespace

Result<std::unique_ptr<triggers::Hub>>
makeTriggers(const config::DaemonConfig& c, provider::Provider& provider,
             gateway::AsyncQueue* queue, const std::unique_ptr<queue::HttpInvoker>& invoker) {
    const auto& t = c.triggers;
    triggers::SyncCall call = [&invoker, &provider](const triggers::Fire& fire,
                                                    const std::string& callId) {
        queue::Job job{.callId = callId,
                       .function = fire.function,
                       .method = "POST",
                       .path = "/",
                       .headers = fire.headers,
                       .body = fire.body,
                       .timeout = provider.upstreamTimeout(fire.function.name, fire.function.ns)};
        queue::Outcome o = invoker->invoke(job);
        return triggers::RunEnd{.callId = callId,
                                .failed = !o.reached || o.status >= 400,
                                .status = o.reached ? o.status : 0,
                                .body = o.reached ? o.body : o.error};
    };
    auto hub = std::make_unique<triggers::Hub>(
        triggers::HubConfig{
            .namespaces = t.namespaces, .mqttBroker = !t.mqttBroker.empty(), .resync = t.resync},
        provider, queue, std::move(call));
    hub->add(std::make_unique<triggers::CronSource>(
        triggers::CronConfig{.stateFile = c.triggersStateFile()}, *hub));
    if (!t.mqttBroker.empty()) {
        TRY_ASSIGN(auto mqtt, withContext(mqttConfigFrom(t), "FAASD_MQTT_BROKER"));
        hub->add(std::make_unique<triggers::MqttSource>(std::move(mqtt), *hub));
    }
    return hub;
}

} // namespace faasd::daemon
