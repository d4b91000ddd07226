#include "triggers/trigger.hpp"

#include "common/strings.hpp"

#include <algorithm>

namespace faasd::triggers {

namespace {

std::string_view annotation(const api::StringMap& annotations, std::string_view name) {
    auto it = annotations.find(std::string(name));
    return it == annotations.end() ? std::string_view() : std::string_view(it->second);
}

} // namespace

Result<std::optional<CronTrigger>> cronTrigger(const api::StringMap& annotations) {
    auto topics = splitOn(annotation(annotations, kTopicAnnotation), ',');
    if (std::none_of(topics.begin(), topics.end(),
                     [](std::string_view t) { return trimBlank(t) == kCronTopic; })) {
        return std::optional<CronTrigger>();
    }
    auto text = annotation(annotations, kScheduleAnnotation);
    if (!annotations.contains(std::string(kScheduleAnnotation))) {
        return fail(Code::InvalidArgument, "{}: missing (topic {} needs a schedule)",
                    kScheduleAnnotation, kCronTopic);
    }
    auto zone = trimBlank(annotation(annotations, kTimeZoneAnnotation));
    TRY(withContext(checkTimeZone(zone), kTimeZoneAnnotation));
    auto schedule = withContext(Schedule::parse(text, zone), kScheduleAnnotation);
    TRY(schedule);
    auto overlap =
        withContext(parseOverlap(annotation(annotations, kOverlapAnnotation)), kOverlapAnnotation);
    TRY(overlap);
    auto missed =
        withContext(parseMissed(annotation(annotations, kMissedAnnotation)), kMissedAnnotation);
    TRY(missed);
    TRY_ASSIGN(bool sync, syncMode(annotations));
    return std::optional<CronTrigger>(CronTrigger{
        .schedule = std::move(*schedule),
        .overlap = *overlap,
        .missed = *missed,
        .body = std::string(annotation(annotations, kBodyAnnotation)),
        .sync = sync,
    });
}

} // namespace faasd::triggers
