#pragma once

// What runs a function request: a fork per request (classic, streaming,
// serializing) or a proxy to one long-lived upstream (http).

#include "common/error.hpp"

#include <functional>
#include <memory>

namespace faasd::watchdog {

class Session;

class Handler {
public:
    virtual ~Handler() = default;

    // Starts whatever the handler needs (the upstream process in http
    // mode); ready() runs once requests can be served. A failure that
    // happens later (the upstream dies) is reported through fatal().
    virtual Result<void> start(std::function<void()> ready,
                               std::function<void(int exitCode)> fatal) = 0;

    // Serves one request on the session: the request head is parsed; the
    // handler reads the body and writes the response through the session.
    virtual void serve(const std::shared_ptr<Session>& session) = 0;

    // SIGTERM, after in-flight requests drained: stop what start() started,
    // then call done.
    virtual void stop(std::function<void()> done) = 0;
};

} // namespace faasd::watchdog
