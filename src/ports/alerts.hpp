#pragma once

// /system/alert: the Alertmanager webhook. The gateway parses the payload
// (gateway/alerts.hpp) and hands it to an AlertHandler (the scaler); without
// one the gateway accepts and ignores it.

#include "api/types.hpp"
#include "common/error.hpp"

#include <string>
#include <vector>

namespace faasd::gateway {

struct Alert {
    std::string status; // "firing" or "resolved"
    std::string alertName;
    std::string functionName; // label function_name, "name" or "name.ns"
    api::StringMap labels;
};

struct AlertNotification {
    std::string status;
    std::string receiver;
    std::vector<Alert> alerts;
};

class AlertHandler {
public:
    virtual ~AlertHandler() = default;
    // Blocking; called off the I/O threads.
    virtual Result<void> handle(const AlertNotification& notification) = 0;
};

} // namespace faasd::gateway
