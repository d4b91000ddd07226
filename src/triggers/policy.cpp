#include "triggers/policy.hpp"

#include "common/strings.hpp"

#include <deque>

namespace faasd::triggers {

std::string_view overlapName(Overlap overlap) {
    switch (overlap) {
    case Overlap::Skip:
        return "skip";
    case Overlap::Allow:
        return "allow";
    case Overlap::Queue:
        return "queue";
    }
    return "skip";
}

std::string_view missedName(Missed missed) {
    switch (missed) {
    case Missed::One:
        return "one";
    case Missed::None:
        return "none";
    case Missed::All:
        return "all";
    }
    return "one";
}

Result<Overlap> parseOverlap(std::string_view text) {
    text = trimBlank(text);
    for (auto overlap : {Overlap::Skip, Overlap::Allow, Overlap::Queue}) {
        if (text.empty() || iequals(text, overlapName(overlap))) {
            return overlap;
        }
    }
    return fail(Code::InvalidArgument, "\"{}\" is not one of skip, allow, queue", text);
}

Result<Missed> parseMissed(std::string_view text) {
    text = trimBlank(text);
    for (auto missed : {Missed::One, Missed::None, Missed::All}) {
        if (text.empty() || iequals(text, missedName(missed))) {
            return missed;
        }
    }
    return fail(Code::InvalidArgument, "\"{}\" is not one of one, none, all", text);
}

DueAction runDue(Overlap overlap, RunState& state) {
    if (state.running == 0 || overlap == Overlap::Allow) {
        ++state.running;
        return DueAction::Start;
    }
    if (overlap == Overlap::Queue && !state.waiting) {
        state.waiting = true;
        return DueAction::Wait;
    }
    return DueAction::Skip;
}

bool runEnded(RunState& state) {
    if (state.running > 0) {
        --state.running;
    }
    if (state.waiting && state.running == 0) {
        state.waiting = false;
        ++state.running;
        return true;
    }
    return false;
}

CatchUp catchUp(const Schedule& schedule, Missed missed, SysSeconds lastRun, SysSeconds now,
                size_t max) {
    size_t keep = missed == Missed::None ? 0 : missed == Missed::One ? 1 : max;
    std::deque<SysSeconds> latest; // the last `keep` missed runs
    uint64_t count = 0;
    Schedule::Runs runs(schedule, lastRun);
    for (auto t = runs.next(); t && *t <= now && count < kMaxCounted; t = runs.next()) {
        ++count;
        latest.push_back(*t);
        if (latest.size() > keep) {
            latest.pop_front();
        }
    }
    return CatchUp{.runs = {latest.begin(), latest.end()}, .dropped = count - latest.size()};
}

} // namespace faasd::triggers
