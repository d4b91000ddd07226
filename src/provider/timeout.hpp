#pragma once

// A function's own upstream timeout: how long the gateway waits on each
// read and write of its replicas (the sync path, and the queue's jobs),
// when the daemon's default is not right for it.
//
//   - the annotation com.openfaas.upstream.timeout, if set, is the
//     timeout, longer or shorter than the default;
//   - else the longer of its exec_timeout and write_timeout environment
//     variables (those its watchdog reads), plus kWatchdogGrace so that the
//     watchdog's own answer arrives first, when that is longer than the
//     default;
//   - else the default (FAASD_UPSTREAM_TIMEOUT; for the queue's jobs
//     FAASD_QUEUE_INVOKE_TIMEOUT).
//
// Values are Go durations ("90s", "1h30m", "1.5m") or whole seconds. The
// annotation must be more than 0 and at most kMaxUpstreamTimeout (24 h);
// exec_timeout and write_timeout may be 0 (no limit in the watchdog,
// nothing for the gateway) or longer (the gateway stops at the cap).

#include "api/types.hpp"
#include "common/error.hpp"
#include "provider/provider.hpp"

#include <chrono>
#include <string_view>

namespace faasd::provider {

inline constexpr std::string_view kTimeoutAnnotation = "com.openfaas.upstream.timeout";
inline constexpr std::chrono::milliseconds kMaxUpstreamTimeout{24 * 3'600'000};
inline constexpr std::chrono::milliseconds kWatchdogGrace{2'000};

// "1h30m", "90s", "1.5m", "250ms", "90" (seconds), rounded up to a
// millisecond; InvalidArgument otherwise.
Result<std::chrono::milliseconds> parseUpstreamTimeout(std::string_view text);

// The deployment's own timeout; InvalidArgument naming the annotation or
// the variable for a bad value.
Result<UpstreamTimeout> upstreamTimeoutOf(const api::FunctionDeployment& d);

} // namespace faasd::provider
