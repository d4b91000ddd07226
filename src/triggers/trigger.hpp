#pragma once

// A function's cron trigger, read from its annotations as cron-connector
// reads them, plus faasd's own:
//
//   topic                           "cron-function" (or a comma list with it)
//   schedule                        the schedule (schedule.hpp), required
//   com.openfaas.schedule.timezone  IANA time zone of the schedule (UTC)
//   com.openfaas.schedule.body      the body each run POSTs (empty)
//   com.openfaas.schedule.overlap   skip | allow | queue (policy.hpp)
//   com.openfaas.schedule.missed    one | none | all (policy.hpp)
//   com.openfaas.trigger.mode       async (default) | sync (source.hpp)
//
// Each run POSTs to the function with cron-connector's headers, X-Topic:
// cron-function and X-Connector: cron-connector, plus X-Scheduled-Time (the
// run's time, RFC 3339 UTC).

#include "api/types.hpp"
#include "common/error.hpp"
#include "triggers/policy.hpp"
#include "triggers/schedule.hpp"
#include "triggers/source.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace faasd::triggers {

inline constexpr std::string_view kTopicAnnotation = "topic";
inline constexpr std::string_view kCronTopic = "cron-function";
inline constexpr std::string_view kScheduleAnnotation = "schedule";
inline constexpr std::string_view kBodyAnnotation = "com.openfaas.schedule.body";
inline constexpr std::string_view kCronConnector = "cron-connector";
inline constexpr std::string_view kTimeZoneAnnotation = "com.openfaas.schedule.timezone";
inline constexpr std::string_view kOverlapAnnotation = "com.openfaas.schedule.overlap";
inline constexpr std::string_view kMissedAnnotation = "com.openfaas.schedule.missed";

struct CronTrigger {
    Schedule schedule;
    Overlap overlap = Overlap::Skip;
    Missed missed = Missed::One;
    std::string body;
    bool sync = false; // com.openfaas.trigger.mode: sync
};

// nullopt when the function has no cron-function topic. An error names the
// annotation: `schedule: schedule "*/0 * * * *": minute: step 0`,
// `com.openfaas.schedule.timezone: unknown time zone "Mars/Olympus"`.
Result<std::optional<CronTrigger>> cronTrigger(const api::StringMap& annotations);

} // namespace faasd::triggers
