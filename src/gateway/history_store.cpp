#include "gateway/history_store.hpp"

#include <chrono>
#include <cmath>
#include <nlohmann/json.hpp>

namespace faasd::gateway {

namespace {

using history::decode;
using history::Sample;
using history::SeriesHistory;
using Json = nlohmann::json;

constexpr size_t kSparkPoints = 30; // over the last 15 minutes, 30 s each

struct Span {
    int64_t step = 1;  // seconds per point
    int64_t first = 0; // index (in steps) of the first point
    int64_t last = -1; // index of the last
};

Span spanOf(MetricsHistory::Range range, int64_t lastSecond, std::optional<int64_t> since) {
    Span s;
    int64_t count = 0;
    switch (range) {
    case MetricsHistory::Range::Minutes15:
        s.step = 1;
        count = history::kSecondSlots;
        break;
    case MetricsHistory::Range::Hour:
        s.step = 60;
        count = 60;
        break;
    case MetricsHistory::Range::Day:
        s.step = 60;
        count = history::kMinuteSlots;
        break;
    }
    if (lastSecond < 0) {
        return s;
    }
    s.last = lastSecond / s.step;
    s.first = s.last - count + 1;
    if (since) {
        s.first = std::max(s.first, *since / s.step);
    }
    return s;
}

// The sample of point i of a series at the span's resolution.
std::optional<Sample> sampleAt(const SeriesHistory& h, const Span& span, int64_t i) {
    if (span.step == 1) {
        const Sample* s = h.seconds().at(i);
        return s ? std::optional<Sample>(*s) : std::nullopt;
    }
    if (i == h.partialMinuteIndex()) {
        return h.partialMinute();
    }
    const Sample* s = h.minutes().at(i);
    return s ? std::optional<Sample>(*s) : std::nullopt;
}

double count(uint16_t code) {
    return std::round(decode(code));
}

// To the thousandth, as the nearest double to that decimal (so the JSON
// says 0.103, not 0.10300000000000001).
double milli(double v) {
    return std::round(v * 1000) / 1000;
}

// Arrays of one series over the span, each point null when absent.
Json seriesJson(const SeriesHistory& h, const Span& span, bool withReplicas) {
    Json t = Json::array(), ok = Json::array(), c4 = Json::array(), c5 = Json::array();
    Json p50 = Json::array(), p95 = Json::array(), p99 = Json::array();
    Json inFlight = Json::array(), queued = Json::array(), cpu = Json::array(),
         memory = Json::array();
    Json ready = Json::array(), wanted = Json::array(), parked = Json::array();
    const double step = static_cast<double>(span.step);
    for (int64_t i = span.first; i <= span.last; ++i) {
        t.push_back(i * span.step);
        auto s = sampleAt(h, span, i);
        if (!s) {
            for (Json* a : {&ok, &c4, &c5, &p50, &p95, &p99, &inFlight, &queued, &cpu, &memory,
                            &ready, &wanted, &parked}) {
                a->push_back(nullptr);
            }
            continue;
        }
        ok.push_back(milli(count(s->ok) / step));
        c4.push_back(milli(count(s->clientErrors) / step));
        c5.push_back(milli(count(s->serverErrors) / step));
        if (s->has(Sample::kLatency)) {
            p50.push_back(milli(decode(s->p50) / 1000));
            p95.push_back(milli(decode(s->p95) / 1000));
            p99.push_back(milli(decode(s->p99) / 1000));
        } else {
            p50.push_back(nullptr);
            p95.push_back(nullptr);
            p99.push_back(nullptr);
        }
        inFlight.push_back(count(s->inFlight));
        queued.push_back(count(s->queued));
        cpu.push_back(s->has(Sample::kCpu) ? Json(milli(decode(s->cpu) / 1000)) : Json(nullptr));
        memory.push_back(s->has(Sample::kMemory) ? Json(std::round(decode(s->memory) * 1024))
                                                 : Json(nullptr));
        ready.push_back(s->ready);
        wanted.push_back(s->wanted);
        parked.push_back(s->parked);
    }
    Json out = {
        {"t", std::move(t)},
        {"rate", {{"2xx", std::move(ok)}, {"4xx", std::move(c4)}, {"5xx", std::move(c5)}}},
        {"latency", {{"p50", std::move(p50)}, {"p95", std::move(p95)}, {"p99", std::move(p99)}}},
        {"inFlight", std::move(inFlight)},
        {"queued", std::move(queued)},
        {"cpu", std::move(cpu)},
        {"memory", std::move(memory)}};
    if (withReplicas) {
        out["replicas"] = {{"ready", std::move(ready)},
                           {"wanted", std::move(wanted)},
                           {"parked", std::move(parked)}};
    }
    return out;
}

Json header(MetricsHistory::Range range, const Span& span) {
    static constexpr const char* kNames[] = {"15m", "1h", "24h"};
    return {{"range", kNames[static_cast<int>(range)]},
            {"step", span.step},
            {"start", span.first * span.step},
            {"end", span.last * span.step}};
}

// The calls in the last 60 seconds, per second; the p99 of the current
// minute (or the last one); a sparkline of the last 15 minutes.
Json summaryJson(const api::FunctionRef& f, const SeriesHistory& h, int64_t last) {
    double calls = 0, errors = 0;
    int present = 0;
    for (int64_t t = last - 59; t <= last; ++t) {
        if (const Sample* s = h.seconds().at(t)) {
            calls += count(s->ok) + count(s->clientErrors) + count(s->serverErrors);
            errors += count(s->serverErrors);
            ++present;
        }
    }
    Json p99 = nullptr;
    auto partial = h.partialMinute();
    if (partial && partial->has(Sample::kLatency)) {
        p99 = milli(decode(partial->p99) / 1000);
    } else if (const Sample* s = h.minutes().at(last / 60 - 1); s && s->has(Sample::kLatency)) {
        p99 = milli(decode(s->p99) / 1000);
    }
    Json spark = Json::array();
    const int64_t width = static_cast<int64_t>(history::kSecondSlots / kSparkPoints);
    for (size_t p = 0; p < kSparkPoints; ++p) {
        const int64_t from = last - static_cast<int64_t>(history::kSecondSlots) + 1 +
                             static_cast<int64_t>(p) * width;
        double sum = 0;
        int n = 0;
        for (int64_t t = from; t < from + width; ++t) {
            if (const Sample* s = h.seconds().at(t)) {
                sum += count(s->ok) + count(s->clientErrors) + count(s->serverErrors);
                ++n;
            }
        }
        spark.push_back(n > 0 ? Json(milli(sum / static_cast<double>(width))) : Json(nullptr));
    }
    Json out = {{"name", f.name},
                {"namespace", f.ns},
                {"rate", present > 0 ? Json(milli(calls / present)) : Json(nullptr)},
                {"errorRate", present > 0 ? Json(milli(errors / present)) : Json(nullptr)},
                {"p99", p99},
                {"spark", std::move(spark)}};
    if (const Sample* s = h.seconds().at(last)) {
        out["ready"] = s->ready;
        out["wanted"] = s->wanted;
    }
    return out;
}

} // namespace

MetricsHistory::MetricsHistory(Clock clock) : clock_(std::move(clock)) {
    if (!clock_) {
        clock_ = [] {
            return std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                .count();
        };
    }
}

std::optional<MetricsHistory::Range> MetricsHistory::parseRange(std::string_view text) {
    if (text.empty() || text == "15m") {
        return Range::Minutes15;
    }
    if (text == "1h") {
        return Range::Hour;
    }
    if (text == "24h") {
        return Range::Day;
    }
    return std::nullopt;
}

void MetricsHistory::record(int64_t second,
                            const std::map<api::FunctionRef, history::Reading>& functions,
                            const history::Reading& vm, const Host& host, bool complete) {
    std::lock_guard lock(mu_);
    if (second <= last_) {
        return; // the clock went back: keep what is there
    }
    last_ = second;
    host_ = host;
    vm_.record(second, vm);
    for (const auto& [function, reading] : functions) {
        auto& h = functions_[function];
        if (!h) {
            h = std::make_unique<SeriesHistory>();
        }
        h->record(second, reading);
    }
    if (complete) {
        std::erase_if(functions_, [&](const auto& kv) { return !functions.contains(kv.first); });
    }
}

void MetricsHistory::scaled(const api::FunctionRef& function, uint64_t from, uint64_t to,
                            std::string_view reason) {
    const int64_t now = clock_();
    std::lock_guard lock(mu_);
    auto& h = functions_[function];
    if (!h) {
        h = std::make_unique<SeriesHistory>();
    }
    h->addEvent(now, from, to, reason);
}

std::optional<std::string> MetricsHistory::functionJson(const api::FunctionRef& function,
                                                        Range range,
                                                        std::optional<int64_t> since) const {
    std::lock_guard lock(mu_);
    auto it = functions_.find(function);
    if (it == functions_.end()) {
        return std::nullopt;
    }
    const Span span = spanOf(range, last_, since);
    Json out = header(range, span);
    out["function"] = function.name;
    out["namespace"] = function.ns;
    out.update(seriesJson(*it->second, span, true));
    Json events = Json::array();
    it->second->forEachEvent([&](const history::Event& e) {
        if (e.at >= span.first * span.step) {
            events.push_back(
                {{"t", e.at}, {"from", e.from}, {"to", e.to}, {"reason", e.reason.data()}});
        }
    });
    out["events"] = std::move(events);
    return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

std::string MetricsHistory::overviewJson(std::string_view ns, Range range,
                                         std::optional<int64_t> since) const {
    std::lock_guard lock(mu_);
    const Span span = spanOf(range, last_, since);
    Json out = header(range, span);
    out.update(seriesJson(vm_, span, false));
    if (host_.memoryTotal) {
        out["memoryTotal"] = std::round(*host_.memoryTotal);
    }
    out["cpus"] = host_.cpus;
    Json functions = Json::array();
    for (const auto& [function, h] : functions_) {
        if (ns.empty() || function.ns == ns) {
            functions.push_back(summaryJson(function, *h, last_));
        }
    }
    out["functions"] = std::move(functions);
    return out.dump(-1, ' ', false, Json::error_handler_t::replace);
}

size_t MetricsHistory::memoryBytes() const {
    // A map node: three pointers and a colour beside the pair.
    constexpr size_t kNode = 4 * sizeof(void*);
    std::lock_guard lock(mu_);
    size_t bytes = sizeof(*this);
    for (const auto& [function, h] : functions_) {
        bytes += kNode + sizeof(function) + sizeof(h) + sizeof(SeriesHistory);
        for (const std::string* s : {&function.name, &function.ns}) {
            if (s->capacity() > 15) { // beyond the small-string buffer
                bytes += s->capacity() + 1;
            }
        }
    }
    return bytes;
}

size_t MetricsHistory::functions() const {
    std::lock_guard lock(mu_);
    return functions_.size();
}

} // namespace faasd::gateway
