#pragma once

// Readiness: a replica counts as available once it answers HTTP. The
// watchdog answers GET /_/health with 200 once its fprocess is ready and
// 503 before; an image without the watchdog answers that path with 404 or
// similar. So: any status below 500 is ready.

#include "common/error.hpp"

#include <chrono>
#include <string>

namespace faasd::provider {

// GETs path from ip:port (HTTP/1.0, no keep-alive); the status code.
Result<int> httpStatus(const std::string& ip, uint16_t port, const std::string& path,
                       std::chrono::milliseconds timeout);

// One probe: true when the replica answers with a status below 500.
bool probeReady(const std::string& ip, uint16_t port, std::chrono::milliseconds timeout);

} // namespace faasd::provider
