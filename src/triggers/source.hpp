#pragma once

// One kind of trigger (a cron schedule, an MQTT topic): it reads its
// triggers from the functions' annotations and hands each run to a Delivery,
// which invokes the function through the durable queue (or synchronously).
// Another kind (a NATS subject, a Kafka topic, a webhook) is one more
// Source:
//
//   class NatsSource : public Source { ... };
//   hub.add(std::make_unique<NatsSource>(config, hub));
//
// A source keeps a trigger's state (last run, counts) across sync() calls
// while the function keeps the same trigger, so a redeploy, an update or a
// scale to zero loses nothing; forget() drops a function's triggers at once.

#include "api/function_ref.hpp"
#include "api/types.hpp"
#include "common/error.hpp"
#include "ports/function_triggers.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faasd::triggers {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The annotation every trigger kind may carry: how its runs invoke.
//   com.openfaas.trigger.mode  async (default): through the durable queue
//                                (retries, dead-letter list, callbacks)
//                              sync: a direct call, ended by its answer
inline constexpr std::string_view kModeAnnotation = "com.openfaas.trigger.mode";

// A function as the sources see it.
struct FunctionAnnotations {
    api::FunctionRef function;
    api::StringMap annotations;
};

// One run to start: a POST to the function.
struct Fire {
    api::FunctionRef function;
    std::string body;
    HeaderList headers; // X-Topic, X-Connector, ...
    bool sync = false;
};

// How a run ended: the function's status and answer (an async run: when the
// queue finished with it). status 0: it never reached the function.
struct RunEnd {
    std::string callId;
    bool failed = false;
    int status = 0;
    std::string body;
};
using RunEnded = std::function<void(const RunEnd&)>;

class Delivery {
public:
    virtual ~Delivery() = default;
    // Starts a run and returns its call id once it is safe: an async run is
    // committed to the queue's database; a sync run has been handed to a
    // worker. ended is called once, from another thread, when the run ends;
    // never when deliver() fails (queue full, stopping, no such function).
    virtual Result<std::string> deliver(Fire fire, RunEnded ended) = 0;
};

class Source {
public:
    virtual ~Source() = default;

    virtual std::string_view kind() const = 0;

    // Whether the annotations declare a trigger of this kind; an error
    // (InvalidArgument) names the annotation and what is wrong.
    virtual Result<bool> check(const api::StringMap& annotations) const = 0;

    // The functions deployed now, in every namespace the triggers serve:
    // the source starts, keeps or stops its triggers to match. Functions
    // whose annotations fail check() are skipped (and logged).
    virtual void sync(const std::vector<FunctionAnnotations>& functions) = 0;
    // The function is gone: none of its runs starts once this returns.
    virtual void forget(const api::FunctionRef& function) = 0;

    virtual void start() = 0;
    // Starts nothing more; returns once its threads have ended.
    virtual void stop() = 0;

    virtual std::vector<gateway::TriggerInfo> list() const = 0;
    // Prometheus text of its series (faasd_trigger_*).
    virtual std::string prometheusText() const = 0;
};

// The mode annotation: false for async (absent, "async"), true for "sync".
// An error names the annotation and the choices.
Result<bool> syncMode(const api::StringMap& annotations);

} // namespace faasd::triggers
