#pragma once

// /system/alert: the Alertmanager webhook's payload, parsed into the
// AlertNotification that an AlertHandler (ports/alerts.hpp) receives.

#include "common/error.hpp"
#include "ports/alerts.hpp"

#include <string_view>

namespace faasd::gateway {

Result<AlertNotification> parseAlertNotification(std::string_view body);

} // namespace faasd::gateway
