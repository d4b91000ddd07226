#include "scaler/policy.hpp"

#include "config/daemon_config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace faasd::scaler {

namespace {

double seconds(Clock::duration d) {
    return std::chrono::duration<double>(d).count();
}

std::string durationText(milliseconds d) {
    if (d.count() % 60'000 == 0) {
        return fmt::format("{}m", d.count() / 60'000);
    }
    if (d.count() % 1000 == 0) {
        return fmt::format("{}s", d.count() / 1000);
    }
    return fmt::format("{}ms", d.count());
}

std::optional<uint64_t> parseCount(const std::string& text) {
    uint64_t n = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return n;
}

std::optional<double> parseNumber(const std::string& text) {
    try {
        size_t used = 0;
        double v = std::stod(text, &used);
        if (used != text.size() || !std::isfinite(v)) {
            return std::nullopt;
        }
        return v;
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

Decision scaleTo(uint64_t n, std::string reason) {
    return {.action = Action::Scale, .replicas = n, .reason = std::move(reason)};
}

} // namespace

const char* scaleTypeName(ScaleType type) {
    switch (type) {
    case ScaleType::Rps:
        return "rps";
    case ScaleType::Capacity:
        return "capacity";
    case ScaleType::Cpu:
        return "cpu";
    }
    return "rps";
}

const char* actionName(Action action) {
    switch (action) {
    case Action::None:
        return "none";
    case Action::Scale:
        return "scale";
    case Action::Park:
        return "park";
    case Action::Evict:
        return "evict";
    }
    return "none";
}

uint64_t ScaleLabels::step() const {
    return std::max<uint64_t>(1, (max * factor + 99) / 100);
}

ScaleLabels parseScaleLabels(const api::StringMap& labels, const LabelDefaults& defaults,
                             uint64_t hardMax, std::vector<std::string>* problems) {
    ScaleLabels out{.min = defaults.min,
                    .max = defaults.max,
                    .factor = defaults.factor,
                    .zeroDuration = defaults.zeroDuration,
                    .targetProportion = defaults.targetProportion};
    auto bad = [&](const std::string& key, const std::string& value, const char* want) {
        if (problems != nullptr) {
            problems->push_back(
                fmt::format("label {}={:?} is not {}; using the default", key, value, want));
        }
    };
    auto find = [&](const char* key) -> const std::string* {
        auto it = labels.find(key);
        return it == labels.end() ? nullptr : &it->second;
    };
    auto count = [&](const char* key, uint64_t& into) {
        if (const auto* v = find(key)) {
            if (auto n = parseCount(*v)) {
                into = *n;
            } else {
                bad(key, *v, "a whole number");
            }
        }
    };
    count("com.openfaas.scale.min", out.min);
    count("com.openfaas.scale.max", out.max);
    count("com.openfaas.scale.factor", out.factor);
    if (out.factor > 100) {
        bad("com.openfaas.scale.factor", std::to_string(out.factor), "a percentage (0-100)");
        out.factor = defaults.factor;
    }
    if (const auto* v = find("com.openfaas.scale.zero")) {
        if (*v == "true" || *v == "1") {
            out.zero = true;
        } else if (*v != "false" && *v != "0" && !v->empty()) {
            bad("com.openfaas.scale.zero", *v, "true or false");
        }
    }
    if (const auto* v = find("com.openfaas.scale.zero-duration")) {
        auto d = config::parseDuration(*v);
        if (d && d->count() > 0) {
            out.zeroDuration = *d;
        } else {
            bad("com.openfaas.scale.zero-duration", *v, "a duration such as 15m or 30s");
        }
    }
    if (const auto* v = find("com.openfaas.scale.target")) {
        auto n = parseNumber(*v);
        if (n && *n > 0) {
            out.target = *n;
        } else {
            bad("com.openfaas.scale.target", *v, "a positive number");
        }
    }
    if (const auto* v = find("com.openfaas.scale.type")) {
        if (*v == "rps") {
            out.type = ScaleType::Rps;
        } else if (*v == "capacity") {
            out.type = ScaleType::Capacity;
        } else if (*v == "cpu") {
            out.type = ScaleType::Cpu;
        } else {
            bad("com.openfaas.scale.type", *v, "rps, capacity or cpu");
        }
    }
    if (const auto* v = find("com.openfaas.scale.target-proportion")) {
        auto n = parseNumber(*v);
        if (n && *n > 0 && *n <= 1) {
            out.targetProportion = *n;
        } else {
            bad("com.openfaas.scale.target-proportion", *v, "a number in (0, 1]");
        }
    }
    out.max = std::clamp<uint64_t>(out.max, 1, hardMax);
    out.min = std::clamp<uint64_t>(out.min, 1, out.max);
    return out;
}

bool LoadWindow::add(const Sample& s) {
    bool active = s.inFlight > 0;
    if (!samples_.empty()) {
        const auto& prev = samples_.back();
        active = active || s.started != prev.started || s.completed != prev.completed;
    }
    samples_.push_back(s);
    while (samples_.size() > 2 && s.at - samples_.front().at > span_) {
        samples_.pop_front();
    }
    return active;
}

const Sample* LoadWindow::base(milliseconds window) const {
    if (samples_.size() < 2) {
        return nullptr;
    }
    const auto from = samples_.back().at - window;
    // The newest sample at or before the window's start, else the oldest.
    const Sample* b = &samples_.front();
    for (const auto& s : samples_) {
        if (s.at > from) {
            break;
        }
        b = &s;
    }
    return b == &samples_.back() ? &samples_[samples_.size() - 2] : b;
}

double LoadWindow::succeededRate(milliseconds window) const {
    const Sample* b = base(window);
    if (b == nullptr) {
        return 0;
    }
    const auto& last = samples_.back();
    const double dt = seconds(last.at - b->at);
    return dt > 0 && last.succeeded >= b->succeeded ? (last.succeeded - b->succeeded) / dt : 0;
}

double LoadWindow::startedRate(milliseconds window) const {
    const Sample* b = base(window);
    if (b == nullptr) {
        return 0;
    }
    const auto& last = samples_.back();
    const double dt = seconds(last.at - b->at);
    return dt > 0 && last.started >= b->started ? (last.started - b->started) / dt : 0;
}

double LoadWindow::meanInFlight(milliseconds window) const {
    if (samples_.empty()) {
        return 0;
    }
    const auto from = samples_.back().at - window;
    double sum = 0;
    size_t n = 0;
    for (auto it = samples_.rbegin(); it != samples_.rend() && it->at >= from; ++it) {
        sum += static_cast<double>(it->inFlight);
        ++n;
    }
    return n ? sum / static_cast<double>(n) : 0;
}

Decision idleRule(const ScaleLabels& labels, const Observation& o, const Settings& s) {
    if (o.parked) {
        if (s.evictAfter.count() > 0 && o.now - o.parkedAt >= s.evictAfter) {
            return {.action = Action::Evict,
                    .reason = fmt::format("parked for {}", durationText(s.evictAfter))};
        }
        return {};
    }
    if (!labels.zero || o.replicas == 0 || o.inFlight > 0) {
        return {};
    }
    if (o.now - o.lastActivity < labels.zeroDuration) {
        return {};
    }
    return {.action = s.park ? Action::Park : Action::Evict,
            .reason = fmt::format("no invocations for {}", durationText(labels.zeroDuration))};
}

Decision alertRule(PolicyState& st, const ScaleLabels& labels, const Observation& o,
                   const Settings& s) {
    const bool hot = o.succeededRps > s.alertRps;
    if (hot) {
        st.quietSince.reset();
        if (!st.hotSince) {
            st.hotSince = o.now;
        }
        if (o.now - *st.hotSince < s.alertFor ||
            (st.lastStep && o.now - *st.lastStep < s.alertRepeat)) {
            return {};
        }
        st.lastStep = o.now;
        const uint64_t to = std::min(labels.max, o.replicas + labels.step());
        if (to <= o.replicas) {
            return {};
        }
        st.raised = true;
        return scaleTo(to, fmt::format("{:.1f} successful req/s > {:g} for {}", o.succeededRps,
                                       s.alertRps, durationText(s.alertFor)));
    }
    st.hotSince.reset();
    st.lastStep.reset();
    if (!st.raised) {
        return {};
    }
    if (!st.quietSince) {
        st.quietSince = o.now;
    }
    if (o.now - *st.quietSince < s.scaleDownWindow) {
        return {};
    }
    st.raised = false;
    st.quietSince.reset();
    if (o.replicas <= labels.min) {
        return {};
    }
    return scaleTo(labels.min, fmt::format("{:.1f} successful req/s <= {:g} for {}", o.succeededRps,
                                           s.alertRps, durationText(s.scaleDownWindow)));
}

Decision targetRule(PolicyState& st, const ScaleLabels& labels, const Observation& o,
                    const Settings& s) {
    double load = 0;
    switch (labels.type) {
    case ScaleType::Rps:
        load = o.startedRps;
        break;
    case ScaleType::Capacity:
        load = o.meanInFlight;
        break;
    case ScaleType::Cpu:
        if (!o.cpuMillicores) {
            return {};
        }
        load = *o.cpuMillicores;
        break;
    }
    const double perReplica = *labels.target * labels.targetProportion;
    const auto wanted = static_cast<uint64_t>(std::ceil(load / perReplica - 1e-9));
    const uint64_t want = std::clamp<uint64_t>(wanted, labels.min, labels.max);
    const auto why = [&](const char* dir) {
        return fmt::format("{} {:.1f} for a target of {:g} x {:g} per replica ({})",
                           scaleTypeName(labels.type), load, *labels.target,
                           labels.targetProportion, dir);
    };
    if (want >= o.replicas) {
        st.recommendations.clear();
        return want > o.replicas ? scaleTo(want, why("up")) : Decision{};
    }
    // Fewer wanted: down once the whole window has asked for fewer, to the
    // most it asked for.
    st.recommendations.emplace_back(o.now, want);
    if (o.now - st.recommendations.front().first < s.scaleDownWindow) {
        return {};
    }
    uint64_t stable = 0;
    for (const auto& [at, n] : st.recommendations) {
        stable = std::max(stable, n);
    }
    st.recommendations.clear();
    return scaleTo(stable, why("down after the stabilisation window"));
}

Decision decide(PolicyState& st, const ScaleLabels& labels, const Observation& o,
                const Settings& s) {
    if (auto idle = idleRule(labels, o, s); idle.action != Action::None) {
        st.reset();
        return idle;
    }
    if (o.replicas == 0 || o.parked || labels.fixed()) {
        st.reset();
        return {};
    }
    return labels.target ? targetRule(st, labels, o, s) : alertRule(st, labels, o, s);
}

} // namespace faasd::scaler
