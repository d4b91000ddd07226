#include "triggers/schedule.hpp"

#include "common/strings.hpp"

#include <algorithm>
#include <array>
#include <date/tz.h>
#include <exception>

namespace faasd::triggers {

namespace {

using std::chrono::seconds;

// How far next() looks ahead.
constexpr auto kHorizon = std::chrono::days{10 * 366};

Result<const date::time_zone*> findZone(std::string_view name) {
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
        return fail(Code::InvalidArgument, "unknown time zone \"{}\"", name);
    }
}

LocalSeconds toLocal(SysSeconds t, seconds offset) {
    return LocalSeconds{t.time_since_epoch() + offset};
}

SysSeconds toSys(LocalSeconds t, seconds offset) {
    return SysSeconds{t.time_since_epoch() - offset};
}

// The first match of `fields` after `after` in `zone`, walking the zone's
// periods of constant offset (sys_info). Within one period wall-clock time
// and instants map one to one; at the boundary between two, wall-clock time
// either jumps forward (a gap: its matches run at the period's first
// instant) or back (an overlap: its matches ran in the period before, and
// run again only for a schedule that runs every hour).
std::optional<SysSeconds> nextInZone(const CronFields& fields, const date::time_zone* zone,
                                     SysSeconds after) {
    SysSeconds from = after + seconds{1};
    const SysSeconds limit = from + kHorizon;
    if (zone == nullptr) {
        auto t = fields.nextMatch(toLocal(from, seconds{0}), toLocal(limit, seconds{0}));
        return t ? std::optional(toSys(*t, seconds{0})) : std::nullopt;
    }
    auto period = zone->get_info(from);
    while (period.begin < limit) {
        const seconds offset = period.offset;
        const seconds before = zone->get_info(period.begin - seconds{1}).offset;
        LocalSeconds start = toLocal(std::max(from, period.begin), offset);
        if (before < offset && from <= period.begin) {
            // Wall-clock times skipped by the jump run at its instant.
            if (fields.nextMatch(toLocal(period.begin, before), start)) {
                return period.begin;
            }
        }
        if (before > offset && !fields.everyHour()) {
            start = std::max(start, toLocal(period.begin, before));
        }
        auto t = fields.nextMatch(start, toLocal(std::min(period.end, limit), offset));
        if (t) {
            return toSys(*t, offset);
        }
        from = period.end;
        period = zone->get_info(period.end);
    }
    return std::nullopt;
}

struct Unit {
    std::string_view name;
    uint64_t nanoseconds;
};

constexpr std::array<Unit, 8> kUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"\u00b5s", 1'000}, // micro sign
    {"\u03bcs", 1'000}, // Greek mu
    {"ms", 1'000'000},
    {"s", 1'000'000'000},
    {"m", 60'000'000'000},
    {"h", 3'600'000'000'000},
}};

bool isDigit(char c) {
    return c >= '0' && c <= '9';
}

} // namespace

Result<void> checkTimeZone(std::string_view name) {
    if (!name.empty()) {
        TRY(findZone(name));
    }
    return {};
}

Result<seconds> parseGoDuration(std::string_view text) {
    auto invalid = [&] { return fail(Code::InvalidArgument, "invalid duration \"{}\"", text); };
    std::string_view rest = text;
    bool negative = false;
    if (!rest.empty() && (rest.front() == '-' || rest.front() == '+')) {
        negative = rest.front() == '-';
        rest.remove_prefix(1);
    }
    if (rest == "0") {
        return seconds{0};
    }
    if (rest.empty()) {
        return invalid();
    }
    // Nanoseconds, as Go counts them; at most 2^63 (Go's limit).
    constexpr unsigned __int128 kMax = static_cast<unsigned __int128>(1) << 63;
    unsigned __int128 total = 0;
    while (!rest.empty()) {
        unsigned __int128 whole = 0;
        size_t digits = 0;
        while (digits < rest.size() && isDigit(rest[digits])) {
            whole = std::min(whole * 10 + static_cast<unsigned>(rest[digits] - '0'), kMax + 1);
            ++digits;
        }
        rest.remove_prefix(digits);
        unsigned __int128 fraction = 0;
        unsigned __int128 scale = 1;
        size_t fractionDigits = 0;
        if (!rest.empty() && rest.front() == '.') {
            rest.remove_prefix(1);
            while (fractionDigits < rest.size() && isDigit(rest[fractionDigits])) {
                if (scale < kMax) { // digits past 1e-19 of a unit change nothing
                    fraction = fraction * 10 + static_cast<unsigned>(rest[fractionDigits] - '0');
                    scale *= 10;
                }
                ++fractionDigits;
            }
            rest.remove_prefix(fractionDigits);
        }
        if (digits == 0 && fractionDigits == 0) {
            return invalid();
        }
        size_t unitLength = 0;
        while (unitLength < rest.size() && rest[unitLength] != '.' && !isDigit(rest[unitLength])) {
            ++unitLength;
        }
        if (unitLength == 0) {
            return fail(Code::InvalidArgument, "missing unit in duration \"{}\"", text);
        }
        auto unitName = rest.substr(0, unitLength);
        rest.remove_prefix(unitLength);
        auto unit = std::find_if(kUnits.begin(), kUnits.end(),
                                 [&](const Unit& u) { return u.name == unitName; });
        if (unit == kUnits.end()) {
            return fail(Code::InvalidArgument, "unknown unit \"{}\" in duration \"{}\"", unitName,
                        text);
        }
        total += whole * unit->nanoseconds + fraction * unit->nanoseconds / scale;
        if (total > kMax) {
            return invalid();
        }
    }
    auto whole = static_cast<int64_t>(total / 1'000'000'000);
    return seconds{negative ? -whole : whole};
}

Result<Schedule> Schedule::parse(std::string_view text, std::string_view timeZone) {
    Schedule schedule;
    schedule.text_ = std::string(text);
    schedule.timeZone_ = timeZone.empty() ? "UTC" : std::string(timeZone);
    const date::time_zone* zone = nullptr;
    if (!timeZone.empty()) {
        TRY_ASSIGN(zone, findZone(timeZone));
    }
    if (trimBlank(text).empty()) {
        return fail(Code::InvalidArgument, "schedule \"{}\": empty", text);
    }
    for (auto piece : splitOn(text, ';')) {
        piece = trimBlank(piece);
        if (piece.empty()) {
            return fail(Code::InvalidArgument, "schedule \"{}\": empty schedule between ';'", text);
        }
        auto part = parsePart(piece, zone);
        if (!part) {
            return fail(std::move(part).error().context(fmt::format("schedule \"{}\"", piece)));
        }
        schedule.parts_.push_back(std::move(*part));
    }
    return schedule;
}

Result<Schedule::Part> Schedule::parsePart(std::string_view text, const date::time_zone* zone) {
    for (std::string_view prefix : {"CRON_TZ=", "TZ="}) {
        if (text.starts_with(prefix)) {
            text.remove_prefix(prefix.size());
            auto name =
                text.substr(0, std::find_if(text.begin(), text.end(), isBlank) - text.begin());
            TRY_ASSIGN(zone, findZone(name));
            text = trimBlank(text.substr(name.size()));
            if (text.empty()) {
                return fail(Code::InvalidArgument, "nothing after {}{}", prefix, name);
            }
            break;
        }
    }
    Part part{.zone = zone};
    if (!text.starts_with('@')) {
        TRY_ASSIGN(part.fields, parseCronFields(text));
        return part;
    }
    if (auto fields = descriptorFields(text)) {
        part.fields = *fields;
        return part;
    }
    constexpr std::string_view kEvery = "@every";
    if (text == kEvery) {
        return fail(Code::InvalidArgument, "@every: missing duration");
    }
    if (!text.starts_with(kEvery) || !isBlank(text[kEvery.size()])) {
        return fail(Code::InvalidArgument,
                    "unknown descriptor \"{}\" (@every <duration>, @hourly, @daily, @midnight, "
                    "@weekly, @monthly, @yearly, @annually)",
                    text.substr(0, std::find_if(text.begin(), text.end(), isBlank) - text.begin()));
    }
    auto duration = parseGoDuration(trimBlank(text.substr(kEvery.size())));
    if (!duration) {
        return fail(std::move(duration).error().context("@every"));
    }
    if (*duration < seconds{1}) {
        return fail(Code::InvalidArgument, "@every: the interval must be at least 1s");
    }
    part.every = *duration;
    return part;
}

std::optional<SysSeconds> Schedule::nextOf(const Part& part, SysSeconds after) const {
    if (part.every.count() == 0) {
        return nextInZone(part.fields, part.zone, after);
    }
    // The first anchor + n*every after `after`, n rounded down even before
    // the anchor.
    auto since = (after - anchor_).count();
    auto every = part.every.count();
    auto n = since / every - (since % every < 0 ? 1 : 0);
    return anchor_ + seconds{(n + 1) * every};
}

std::optional<SysSeconds> Schedule::next(SysSeconds after) const {
    std::optional<SysSeconds> best;
    for (const auto& part : parts_) {
        auto t = nextOf(part, after);
        if (t && (!best || *t < *best)) {
            best = t;
        }
    }
    return best;
}

Schedule::Runs::Runs(const Schedule& schedule, SysSeconds after)
    : schedule_(schedule), last_(after) {
    for (const auto& part : schedule_.parts_) {
        pending_.push_back(schedule_.nextOf(part, after));
        searchedFrom_.push_back(after);
    }
}

std::optional<SysSeconds> Schedule::Runs::next() {
    std::optional<SysSeconds> best;
    for (const auto& t : pending_) {
        if (t && (!best || *t < *best)) {
            best = t;
        }
    }
    // A part with no run within the horizon of its last search is searched
    // again from the last run once that horizon may hide one before `best`,
    // as next(last) would.
    bool again = false;
    for (size_t i = 0; i < pending_.size(); ++i) {
        if (!pending_[i] && searchedFrom_[i] < last_ &&
            (!best || searchedFrom_[i] + kHorizon < *best)) {
            pending_[i] = schedule_.nextOf(schedule_.parts_[i], last_);
            searchedFrom_[i] = last_;
            again = again || pending_[i].has_value();
        }
    }
    if (again) {
        return next();
    }
    if (!best) {
        return std::nullopt;
    }
    last_ = *best;
    for (size_t i = 0; i < pending_.size(); ++i) {
        if (pending_[i] == best) {
            pending_[i] = schedule_.nextOf(schedule_.parts_[i], last_);
            searchedFrom_[i] = last_;
        }
    }
    return best;
}

Schedule Schedule::anchored(SysSeconds anchor) const {
    Schedule copy = *this;
    copy.anchor_ = anchor;
    return copy;
}

} // namespace faasd::triggers
