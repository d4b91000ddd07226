#pragma once

// What a cron trigger does when a run falls due while another still runs
// (overlap), and with the runs it missed while the daemon was down (missed).
// Pure functions: no clock, no I/O; the caller passes the time and the state.
//
//   com.openfaas.schedule.overlap  skip (default)  a run due while one is
//                                                  running is skipped
//                                  allow           it starts beside it
//                                  queue           it waits, and starts when
//                                                  the running one ends (one
//                                                  waits at most; later ones
//                                                  are skipped)
//   com.openfaas.schedule.missed   one (default)   at most one run catches up
//                                                  (the latest missed one)
//                                  none            none catches up
//                                  all             every missed run catches
//                                                  up, the latest kMaxCatchUp

#include "common/error.hpp"
#include "triggers/schedule.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace faasd::triggers {

enum class Overlap { Skip, Allow, Queue };
enum class Missed { One, None, All };

std::string_view overlapName(Overlap overlap);
std::string_view missedName(Missed missed);

// Annotation values, case-insensitive; empty means the default. Errors name
// the value and the choices: `"sometimes" is not one of skip, allow, queue`.
Result<Overlap> parseOverlap(std::string_view text);
Result<Missed> parseMissed(std::string_view text);

// One trigger's runs as the overlap rule sees them.
struct RunState {
    uint32_t running = 0; // runs started and not yet ended
    bool waiting = false; // a run queued behind them (Overlap::Queue)
};

enum class DueAction {
    Start, // start a run now
    Skip,  // drop this run
    Wait,  // it waits; runEnded() starts it
};

// A run falls due: what to do with it. Updates state (running, waiting).
DueAction runDue(Overlap overlap, RunState& state);

// A run ended. Returns true when a waiting run starts now (state counts it
// as running).
bool runEnded(RunState& state);

// Runs caught up after downtime: at most this many (Missed::All).
inline constexpr size_t kMaxCatchUp = 100;
// Missed runs are counted up to this many; more show as this number.
inline constexpr uint64_t kMaxCounted = 1'000'000;

struct CatchUp {
    std::vector<SysSeconds> runs; // the scheduled times to run now, oldest first
    uint64_t dropped = 0;         // missed runs that will not run
};

// The runs the schedule had in (lastRun, now] and which of them to run now.
// The daemon runs them, then waits for schedule.next(now).
CatchUp catchUp(const Schedule& schedule, Missed missed, SysSeconds lastRun, SysSeconds now,
                size_t max = kMaxCatchUp);

} // namespace faasd::triggers
