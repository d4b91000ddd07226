#include "triggers/fields.hpp"

#include "common/strings.hpp"

#include <array>
#include <bit>
#include <charconv>
#include <span>

namespace faasd::triggers {

namespace {

struct FieldSpec {
    std::string_view name;
    unsigned min;
    unsigned max;
    std::span<const std::string_view> names; // names[i] is value min + i; empty: numbers only
};

constexpr std::array<std::string_view, 12> kMonthNames = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 7> kDayNames = {"sun", "mon", "tue", "wed",
                                                       "thu", "fri", "sat"};

constexpr FieldSpec kMinute{"minute", 0, 59, {}};
constexpr FieldSpec kHour{"hour", 0, 23, {}};
constexpr FieldSpec kDayOfMonth{"day-of-month", 1, 31, {}};
constexpr FieldSpec kMonth{"month", 1, 12, kMonthNames};
constexpr FieldSpec kDayOfWeek{"day-of-week", 0, 6, kDayNames};

struct Field {
    uint64_t bits = 0;
    bool star = false;
};

std::optional<unsigned> number(std::string_view text) {
    unsigned n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return n;
}

Result<unsigned> value(const FieldSpec& spec, std::string_view text) {
    if (auto n = number(text)) {
        if (*n < spec.min || *n > spec.max) {
            return fail(Code::InvalidArgument, "{}: {} is out of range {}-{}{}", spec.name, *n,
                        spec.min, spec.max, &spec == &kDayOfWeek ? " (Sunday is 0)" : "");
        }
        return *n;
    }
    if (!spec.names.empty()) {
        for (size_t i = 0; i < spec.names.size(); ++i) {
            if (iequals(text, spec.names[i])) {
                return spec.min + static_cast<unsigned>(i);
            }
        }
        return fail(Code::InvalidArgument, "{}: \"{}\" is not a number or a {} name", spec.name,
                    text, spec.min == 1 ? "month" : "day");
    }
    return fail(Code::InvalidArgument, "{}: \"{}\" is not a number", spec.name, text);
}

// One list item: `*`, `?`, `n`, `a-b`, each with an optional `/step`.
Result<Field> parseItem(const FieldSpec& spec, std::string_view item) {
    auto slash = splitOn(item, '/');
    if (slash.size() > 2) {
        return fail(Code::InvalidArgument, "{}: \"{}\" has more than one '/'", spec.name, item);
    }
    unsigned step = 1;
    if (slash.size() == 2) {
        auto n = number(slash[1]);
        if (!n) {
            return fail(Code::InvalidArgument, "{}: step \"{}\" is not a number", spec.name,
                        slash[1]);
        }
        if (*n == 0) {
            return fail(Code::InvalidArgument, "{}: step 0", spec.name);
        }
        step = *n;
    }
    unsigned first = spec.min;
    unsigned last = spec.max;
    bool star = false;
    if (slash[0] == "*" || slash[0] == "?") {
        star = step == 1;
    } else {
        auto dash = splitOn(slash[0], '-');
        if (dash.size() > 2) {
            return fail(Code::InvalidArgument, "{}: \"{}\" has more than one '-'", spec.name, item);
        }
        TRY_ASSIGN(first, value(spec, dash[0]));
        if (dash.size() == 2) {
            TRY_ASSIGN(last, value(spec, dash[1]));
        } else if (slash.size() == 1) {
            last = first; // a single value; "n/step" runs from n to the field's end
        }
        if (first > last) {
            return fail(Code::InvalidArgument, "{}: range {}-{} runs backwards", spec.name, first,
                        last);
        }
    }
    Field field{.star = star};
    for (unsigned v = first; v <= last; v += step) {
        field.bits |= uint64_t{1} << v;
    }
    return field;
}

Result<Field> parseField(const FieldSpec& spec, std::string_view text) {
    Field field;
    for (auto item : splitOn(text, ',')) {
        if (item.empty()) {
            return fail(Code::InvalidArgument, "{}: empty item in \"{}\"", spec.name, text);
        }
        TRY_ASSIGN(auto one, parseItem(spec, item));
        field.bits |= one.bits;
        field.star = field.star || one.star;
    }
    return field;
}

// True when some day of the day-of-month field exists in some month of the
// month field (February counts its 29th).
bool dayExists(const CronFields& f) {
    constexpr std::array<unsigned, 13> kLongest = {0,  31, 29, 31, 30, 31, 30,
                                                   31, 31, 30, 31, 30, 31};
    for (unsigned m = 1; m <= 12; ++m) {
        uint32_t fits = static_cast<uint32_t>((uint64_t{1} << (kLongest[m] + 1)) - 2);
        if ((f.months >> m & 1u) != 0 && (f.days & fits) != 0) {
            return true;
        }
    }
    return false;
}

// The lowest set bit at or above `from`, or -1.
int nextBit(uint64_t bits, unsigned from) {
    if (from >= 64) {
        return -1;
    }
    uint64_t rest = bits >> from << from;
    return rest == 0 ? -1 : std::countr_zero(rest);
}

CronFields fixedFields(unsigned minute, int hour, int day, int month, int weekday) {
    auto all = [](unsigned lo, unsigned hi) { return ((uint64_t{1} << (hi + 1)) - 1) >> lo << lo; };
    return CronFields{
        .minutes = uint64_t{1} << minute,
        .hours = static_cast<uint32_t>(hour < 0 ? all(0, 23) : uint64_t{1} << hour),
        .days = static_cast<uint32_t>(day < 0 ? all(1, 31) : uint64_t{1} << day),
        .months = static_cast<uint16_t>(month < 0 ? all(1, 12) : uint64_t{1} << month),
        .weekdays = static_cast<uint8_t>(weekday < 0 ? all(0, 6) : uint64_t{1} << weekday),
        .daysStar = day < 0,
        .weekdaysStar = weekday < 0,
    };
}

} // namespace

bool CronFields::matchesDay(std::chrono::year_month_day day) const {
    bool dayMatch = (days >> static_cast<unsigned>(day.day()) & 1u) != 0;
    bool weekdayMatch =
        (weekdays >> std::chrono::weekday(std::chrono::sys_days(day)).c_encoding() & 1u) != 0;
    if (daysStar || weekdaysStar) {
        return dayMatch && weekdayMatch;
    }
    return dayMatch || weekdayMatch;
}

std::optional<LocalSeconds> CronFields::nextMatch(LocalSeconds from, LocalSeconds until) const {
    namespace chr = std::chrono;
    LocalSeconds t = chr::ceil<chr::minutes>(from);
    while (t < until) {
        chr::local_days day = chr::floor<chr::days>(t);
        chr::year_month_day date{day};
        if ((months >> static_cast<unsigned>(date.month()) & 1u) == 0) {
            t = chr::local_days{(date.year() / date.month() + chr::months{1}) / 1};
            continue;
        }
        if (!matchesDay(date)) {
            t = day + chr::days{1};
            continue;
        }
        auto hour = static_cast<unsigned>(chr::floor<chr::hours>(t - day).count());
        int h = nextBit(hours, hour);
        if (h < 0) {
            t = day + chr::days{1};
            continue;
        }
        if (static_cast<unsigned>(h) > hour) {
            t = day + chr::hours{h};
            continue;
        }
        auto minute = static_cast<unsigned>(chr::floor<chr::minutes>(t - day).count() % 60);
        int m = nextBit(minutes, minute);
        if (m < 0) {
            t = day + chr::hours{hour + 1};
            continue;
        }
        t = day + chr::hours{hour} + chr::minutes{m};
        return t < until ? std::optional(t) : std::nullopt;
    }
    return std::nullopt;
}

Result<CronFields> parseCronFields(std::string_view text) {
    auto words = splitWords(text);
    if (words.size() != 5) {
        return fail(Code::InvalidArgument,
                    "expected 5 fields (minute hour day-of-month month day-of-week), found {}",
                    words.size());
    }
    TRY_ASSIGN(auto minute, parseField(kMinute, words[0]));
    TRY_ASSIGN(auto hour, parseField(kHour, words[1]));
    TRY_ASSIGN(auto day, parseField(kDayOfMonth, words[2]));
    TRY_ASSIGN(auto month, parseField(kMonth, words[3]));
    TRY_ASSIGN(auto weekday, parseField(kDayOfWeek, words[4]));
    CronFields fields{
        .minutes = minute.bits,
        .hours = static_cast<uint32_t>(hour.bits),
        .days = static_cast<uint32_t>(day.bits),
        .months = static_cast<uint16_t>(month.bits),
        .weekdays = static_cast<uint8_t>(weekday.bits),
        .daysStar = day.star,
        .weekdaysStar = weekday.star,
    };
    if (fields.weekdaysStar && !dayExists(fields)) {
        return fail(Code::InvalidArgument,
                    "day-of-month: \"{}\" falls in none of the months \"{}\": it would never run",
                    words[2], words[3]);
    }
    return fields;
}

std::optional<CronFields> descriptorFields(std::string_view descriptor) {
    if (descriptor == "@yearly" || descriptor == "@annually") {
        return fixedFields(0, 0, 1, 1, -1);
    }
    if (descriptor == "@monthly") {
        return fixedFields(0, 0, 1, -1, -1);
    }
    if (descriptor == "@weekly") {
        return fixedFields(0, 0, -1, -1, 0);
    }
    if (descriptor == "@daily" || descriptor == "@midnight") {
        return fixedFields(0, 0, -1, -1, -1);
    }
    if (descriptor == "@hourly") {
        return fixedFields(0, -1, -1, -1, -1);
    }
    return std::nullopt;
}

} // namespace faasd::triggers
