#include "cluster/counter_merge.hpp"

#include <charconv>
#include <nlohmann/json.hpp>

namespace faasd::cluster {

namespace {

using gateway::InvocationSnapshot;

// Whether any counter of now is below the same counter of before.
bool wentDown(const InvocationSnapshot& before, const InvocationSnapshot& now) {
    if (now.started < before.started || now.completed < before.completed) {
        return true;
    }
    for (const auto& [code, n] : before.byCode) {
        auto it = now.byCode.find(code);
        if (it == now.byCode.end() || it->second < n) {
            return true;
        }
    }
    return false;
}

// Adds the counters of now less those of before (none: all of now).
void addDifference(InvocationSnapshot& to, const InvocationSnapshot* before,
                   const InvocationSnapshot& now) {
    if (before != nullptr && wentDown(*before, now)) {
        before = nullptr;
    }
    to.started += now.started - (before ? before->started : 0);
    to.completed += now.completed - (before ? before->completed : 0);
    for (const auto& [code, n] : now.byCode) {
        uint64_t was = 0;
        if (before != nullptr) {
            if (auto it = before->byCode.find(code); it != before->byCode.end()) {
                was = it->second;
            }
        }
        if (n > was) {
            to.byCode[code] += n - was;
        }
    }
}

void addCounts(InvocationSnapshot& to, const InvocationSnapshot& from) {
    to.started += from.started;
    to.completed += from.completed;
    for (const auto& [code, n] : from.byCode) {
        to.byCode[code] += n;
    }
}

} // namespace

bool CounterMerge::counts(const Node& node, TimePoint now) const {
    return node.live && now - node.at <= forgetAfter_;
}

void CounterMerge::observe(const std::string& node, const CounterTable& answer, TimePoint now) {
    auto it = nodes_.find(node);
    const bool baseline = it == nodes_.end() || now - it->second.at > forgetAfter_;
    if (!baseline) {
        const CounterTable& last = it->second.last;
        for (const auto& [function, snapshot] : answer) {
            auto before = last.find(function);
            addDifference(added_[function], before == last.end() ? nullptr : &before->second,
                          snapshot);
        }
    }
    Node& n = nodes_[node];
    n.last = answer;
    n.at = now;
    n.live = true;
}

void CounterMerge::retain(const std::set<std::string>& live, TimePoint now) {
    for (auto it = nodes_.begin(); it != nodes_.end();) {
        it->second.live = live.contains(it->first);
        if (!it->second.live && now - it->second.at > forgetAfter_) {
            it = nodes_.erase(it);
        } else {
            ++it;
        }
    }
}

CounterTable CounterMerge::merged(const CounterTable& local, TimePoint now) const {
    CounterTable out = local;
    for (const auto& [function, counts] : added_) {
        addCounts(out[function], counts);
    }
    for (const auto& [name, node] : nodes_) {
        if (!counts(node, now)) {
            continue;
        }
        for (const auto& [function, snapshot] : node.last) {
            out[function].inFlight += snapshot.inFlight;
        }
    }
    return out;
}

std::optional<InvocationSnapshot> CounterMerge::merged(api::FunctionRefView function,
                                                       std::optional<InvocationSnapshot> local,
                                                       TimePoint now) const {
    std::optional<InvocationSnapshot> out = std::move(local);
    const auto ref = api::FunctionRef::from(function);
    if (auto it = added_.find(ref); it != added_.end()) {
        addCounts(out ? *out : out.emplace(), it->second);
    }
    for (const auto& [name, node] : nodes_) {
        if (!counts(node, now)) {
            continue;
        }
        if (auto it = node.last.find(ref); it != node.last.end()) {
            (out ? *out : out.emplace()).inFlight += it->second.inFlight;
        }
    }
    return out;
}

Result<CounterTable> parseFunctionCounters(std::string_view json) {
    auto j = nlohmann::json::parse(json, nullptr, false);
    if (!j.is_object()) {
        return fail(Code::InvalidArgument, "function counters: not a JSON object");
    }
    auto number = [](const nlohmann::json& v, const char* key) -> std::optional<uint64_t> {
        auto it = v.find(key);
        if (it == v.end()) {
            return 0;
        }
        if (!it->is_number_unsigned()) {
            return std::nullopt;
        }
        return it->get<uint64_t>();
    };
    CounterTable out;
    for (const auto& [key, v] : j.items()) {
        const auto function = api::FunctionRef::parse(key, "");
        if (function.name.empty() || function.ns.empty() || !v.is_object()) {
            return fail(Code::InvalidArgument, "function counters: bad entry '{}'", key);
        }
        auto started = number(v, "started");
        auto completed = number(v, "completed");
        auto inFlight = number(v, "inFlight");
        if (!started || !completed || !inFlight) {
            return fail(Code::InvalidArgument, "function counters: {}: counts are not numbers",
                        key);
        }
        InvocationSnapshot s{.started = *started, .completed = *completed, .inFlight = *inFlight};
        if (auto codes = v.find("byCode"); codes != v.end()) {
            if (!codes->is_object()) {
                return fail(Code::InvalidArgument, "function counters: {}: bad byCode", key);
            }
            for (const auto& [code, n] : codes->items()) {
                unsigned c = 0;
                auto [end, ec] = std::from_chars(code.data(), code.data() + code.size(), c);
                if (ec != std::errc{} || end != code.data() + code.size() ||
                    !n.is_number_unsigned()) {
                    return fail(Code::InvalidArgument,
                                "function counters: {}: bad byCode entry '{}'", key, code);
                }
                s.byCode[c] = n.get<uint64_t>();
            }
        }
        out.emplace(function, std::move(s));
    }
    return out;
}

} // namespace faasd::cluster
