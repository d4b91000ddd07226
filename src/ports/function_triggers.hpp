#pragma once

// What the gateway asks of the function triggers (cron schedules, MQTT
// topics): to check a deployment's trigger annotations before it is made,
// to hear that a function changed or went, and to list the triggers for
// GET /system/triggers. The triggers component implements it; without one
// the gateway deploys annotations as they come and answers 501 there.

#include "api/types.hpp"
#include "common/error.hpp"

#include <string>
#include <vector>

namespace faasd::gateway {

// One trigger as /system/triggers lists it.
using TriggerInfo = api::TriggerStatus;

class FunctionTriggers {
public:
    virtual ~FunctionTriggers() = default;

    // Before a deploy or an update: InvalidArgument naming the annotation
    // when a trigger annotation is wrong, so nothing is deployed.
    virtual Result<void> check(const api::FunctionDeployment& deployment) = 0;
    // After a deploy or an update succeeded.
    virtual void deployed(const api::FunctionDeployment& deployment) = 0;
    // After a remove succeeded: its triggers fire no more once this returns.
    virtual void removed(const std::string& name, const std::string& ns) = 0;

    // Empty ns: every namespace. Sorted by namespace, function, kind.
    virtual std::vector<TriggerInfo> list(const std::string& ns) = 0;
};

} // namespace faasd::gateway
