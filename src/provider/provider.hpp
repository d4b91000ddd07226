#pragma once

// The provider: what the gateway, queue and scaler know of where functions
// run. ContainerdProvider implements it on containerd + CNI; unit tests of
// the gateway use a fake.
//
// Errors: NotFound for an unknown function, secret or namespace;
// AlreadyExists when deploying over an existing function or creating an
// existing secret; InvalidArgument for bad input (names, limits, replicas);
// FailedPrecondition when something referenced is missing (a secret, an
// image with pull policy Never); Unavailable when containerd is down.
// Error messages name the operation and the function ("deploying say: ..."),
// so callers pass them on without adding that context again.

#include "api/types.hpp"
#include "common/error.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace faasd::provider {

// A function's own upstream timeout (see provider/timeout.hpp): how long
// the gateway waits on each read and write of its replicas.
struct UpstreamTimeout {
    std::chrono::milliseconds value{0}; // 0: none of its own
    // From the watchdog's exec_timeout/write_timeout: it only lengthens the
    // caller's default. From the annotation: it replaces it.
    bool atLeast = false;

    // The timeout of a call whose caller's default is fallback.
    std::chrono::milliseconds over(std::chrono::milliseconds fallback) const {
        if (value.count() == 0) {
            return fallback;
        }
        return atLeast ? std::max(value, fallback) : value;
    }
    bool operator==(const UpstreamTimeout&) const = default;
};

// One ready replica of a function: where its watchdog listens, and its
// function's timeout (carried here so that the invoke path asks nothing
// more of the provider).
struct Endpoint {
    std::string instance; // replica id, e.g. "say-0"
    std::string ip;
    uint16_t port = 8080;
    UpstreamTimeout timeout;
};

// Called for each log message; return false to stop.
using LogSink = std::function<bool(const api::LogMessage&)>;

class Provider {
public:
    virtual ~Provider() = default;

    // Creates a function (AlreadyExists if it exists). Validates everything
    // first; a failure leaves nothing behind. Returns when the first replica
    // is ready, or with an error.
    virtual Result<void> deploy(const api::FunctionDeployment& deployment) = 0;
    // Replaces an existing function (NotFound if it does not exist) without
    // downtime: new replicas first, then the old ones go.
    virtual Result<void> update(const api::FunctionDeployment& deployment) = 0;
    virtual Result<void> remove(const std::string& name, const std::string& ns) = 0;

    virtual Result<std::vector<api::FunctionStatus>> list(const std::string& ns) = 0;
    virtual Result<api::FunctionStatus> get(const std::string& name, const std::string& ns) = 0;
    virtual Result<void> scale(const std::string& name, const std::string& ns,
                               uint64_t replicas) = 0;

    // Ready replicas, from memory (no containerd call): the invoke path.
    virtual Result<std::vector<Endpoint>> resolve(const std::string& name,
                                                  const std::string& ns) = 0;

    // Idle functions (the scaler). park() freezes a function's replicas in
    // place (memory kept, no CPU), withdraws them from resolve() and makes
    // the status report 0 replicas. wake() brings a function at zero back:
    // a parked one by resuming its replicas, one scaled to 0 by starting
    // `replicas`; a function with replicas is left alone. scale() of a
    // parked function resumes it first. These defaults, for providers that
    // cannot freeze, go to zero and start again.
    virtual Result<void> park(const std::string& name, const std::string& ns) {
        return scale(name, ns, 0);
    }
    virtual Result<void> wake(const std::string& name, const std::string& ns, uint64_t replicas) {
        auto status = get(name, ns);
        if (!status) {
            return fail(status.error());
        }
        return status->replicas > 0 ? Result<void>{} : scale(name, ns, replicas);
    }
    virtual bool isParked(const std::string& /*name*/, const std::string& /*ns*/) { return false; }

    // A function's own upstream timeout, from memory (none for an unknown
    // function): what the queue's jobs wait for.
    virtual UpstreamTimeout upstreamTimeout(const std::string& /*name*/,
                                            const std::string& /*ns*/) {
        return {};
    }

    // Secrets: list returns names and namespaces, never values.
    virtual Result<std::vector<api::Secret>> listSecrets(const std::string& ns) = 0;
    virtual Result<void> createSecret(const api::Secret& secret) = 0;
    virtual Result<void> updateSecret(const api::Secret& secret) = 0;
    virtual Result<void> removeSecret(const std::string& name, const std::string& ns) = 0;

    // Function namespaces (the default first).
    virtual Result<std::vector<std::string>> listNamespaces() = 0;
    virtual Result<api::NamespaceRequest> getNamespace(const std::string& name) = 0;
    virtual Result<void> createNamespace(const api::NamespaceRequest& ns) = 0;
    virtual Result<void> updateNamespace(const api::NamespaceRequest& ns) = 0;
    virtual Result<void> removeNamespace(const std::string& name) = 0;

    // Streams log messages to sink until the request is satisfied (or, with
    // follow, until sink returns false or stop becomes true).
    virtual Result<void> logs(const api::LogRequest& request, const LogSink& sink,
                              const std::atomic<bool>& stop) = 0;

    virtual api::ProviderInfo info() = 0;
};

} // namespace faasd::provider
