#pragma once

#include <string_view>

namespace faasd::daemon {

// Sends state (e.g. "READY=1") to systemd when NOTIFY_SOCKET is set; does
// nothing otherwise (systemd's notify protocol, one datagram).
void sdNotify(std::string_view state);

} // namespace faasd::daemon
