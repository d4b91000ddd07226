// A function's cron trigger from its annotations: the schedule grammar
// (fields, names, descriptors, @every, ';'-joined parts, CRON_TZ=), the
// time zone, the overlap and missed-run policies; then the next runs from
// a time the input picks and the catch-up after a downtime.
#include "input.hpp"
#include "triggers/policy.hpp"
#include "triggers/schedule.hpp"
#include "triggers/trigger.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    using namespace std::chrono;
    // Lines: the schedule, its time zone, the overlap and missed-run
    // policies, a start time (Unix seconds) and a downtime (seconds).
    const auto parts = fuzz::splitLines(fuzz::asText(data, size), 5);
    auto line = [&](size_t i) { return std::string(i < parts.size() ? parts[i] : ""); };
    auto number = [&](size_t i, int64_t max) {
        int64_t n = 0;
        for (char c : line(i)) {
            if (c >= '0' && c <= '9') {
                n = (n * 10 + (c - '0')) % (max + 1);
            }
        }
        return n;
    };
    const std::string text = line(0);
    api::StringMap notes;
    notes["topic"] = "cron-function";
    notes[std::string(triggers::kScheduleAnnotation)] = text;
    notes[std::string(triggers::kTimeZoneAnnotation)] = line(1);
    notes[std::string(triggers::kOverlapAnnotation)] = line(2);
    notes[std::string(triggers::kMissedAnnotation)] = line(3);
    // Between 1970 and 2200, and a downtime of up to a year.
    const auto from = sys_seconds(seconds(number(4, 7'258'118'400)));
    const auto downtime = seconds(number(5, 366 * 86400));

    (void)triggers::parseGoDuration(text);
    auto trigger = triggers::cronTrigger(notes);
    if (!trigger || !*trigger) {
        return 0;
    }
    const auto& schedule = (*trigger)->schedule;
    auto at = from;
    for (int i = 0; i < 4; ++i) {
        auto next = schedule.next(at);
        if (!next) {
            break;
        }
        if (*next <= at) {
            __builtin_trap(); // the next run is strictly after
        }
        at = *next;
    }
    const auto anchored = schedule.anchored(from);
    (void)anchored.next(from + downtime);
    auto caught = triggers::catchUp(schedule, (*trigger)->missed, from, from + downtime);
    if (caught.runs.size() > triggers::kMaxCatchUp) {
        __builtin_trap();
    }
    return 0;
}
