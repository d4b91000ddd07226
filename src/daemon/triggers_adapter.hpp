#pragma once

// The function triggers from the daemon's settings: the hub with its cron
// source, and its MQTT source when a broker is set; and the sync call that
// runs a trigger's run through the gateway's own /function/ route.

#include "config/daemon_config.hpp"
#include "ports/async_queue.hpp"
#include "provider/provider.hpp"
#include "queue/invoker.hpp"
#include "triggers/hub.hpp"

#include <memory>

namespace faasd::daemon {

// Made before the queue starts (the hub listens to it); queue may be null.
// invoker: set once the gateway listens, before the hub starts.
Result<std::unique_ptr<triggers::Hub>>
makeTriggers(const config::DaemonConfig& config, provider::Provider& provider,
             gateway::AsyncQueue* queue, const std::unique_ptr<queue::HttpInvoker>& invoker);

} // namespace faasd::daemon
