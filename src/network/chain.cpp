#include "network/chain.hpp"

#include <charconv>

namespace faasd::network {

using nlohmann::json;

namespace {

std::vector<long> versionParts(std::string_view v) {
    std::vector<long> parts;
    while (!v.empty()) {
        long n = 0;
        auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
        if (ec != std::errc()) {
            break;
        }
        parts.push_back(n);
        v.remove_prefix(static_cast<size_t>(end - v.data()));
        if (v.empty() || v.front() != '.') {
            break;
        }
        v.remove_prefix(1);
    }
    parts.resize(3, 0);
    return parts;
}

Result<json> runOne(const PluginRunner& runner, const Conflist& list, size_t index,
                    const Invocation& invocation, const json* prevResult, std::mutex* chained) {
    auto type = list.pluginType(index);
    std::unique_lock<std::mutex> lock;
    if (chained != nullptr && index > 0) {
        lock = std::unique_lock(*chained);
    }
    return runner.exec(type, invocation, requestConfig(list, index, prevResult));
}

} // namespace

bool versionAtLeast(std::string_view version, std::string_view minimum) {
    return versionParts(version) >= versionParts(minimum);
}

json requestConfig(const Conflist& list, size_t index, const json* prevResult) {
    json config = list.plugins.at(index);
    config["name"] = list.name;
    config["cniVersion"] = list.cniVersion;
    if (prevResult != nullptr && !prevResult->is_null()) {
        config["prevResult"] = *prevResult;
    } else {
        config.erase("prevResult");
    }
    return config;
}

Result<json> addChain(const PluginRunner& runner, const Conflist& list, Invocation invocation,
                      json* lastResult, std::mutex* chained) {
    invocation.command = Command::Add;
    json result;
    for (size_t i = 0; i < list.plugins.size(); ++i) {
        TRY_ASSIGN(auto out,
                   runOne(runner, list, i, invocation, i == 0 ? nullptr : &result, chained));
        if (!out.is_object()) {
            return fail(Code::Internal, "{} plugin: printed no result for ADD", list.pluginType(i));
        }
        result = std::move(out);
        if (lastResult != nullptr) {
            *lastResult = result;
        }
    }
    return result;
}

Result<void> delChain(const PluginRunner& runner, const Conflist& list, Invocation invocation,
                      const json& cached, std::mutex* chained) {
    invocation.command = Command::Del;
    const json* prev = versionAtLeast(list.cniVersion, "0.4.0") ? &cached : nullptr;
    for (size_t i = list.plugins.size(); i-- > 0;) {
        TRY(runOne(runner, list, i, invocation, prev, chained));
    }
    return {};
}

Result<void> checkChain(const PluginRunner& runner, const Conflist& list, Invocation invocation,
                        const json& cached, std::mutex* chained) {
    if (!versionAtLeast(list.cniVersion, "0.4.0")) {
        return fail(Code::Unimplemented, "CHECK needs CNI 0.4.0 or later; {} is {}", list.name,
                    list.cniVersion);
    }
    if (list.disableCheck) {
        return {};
    }
    invocation.command = Command::Check;
    for (size_t i = 0; i < list.plugins.size(); ++i) {
        TRY(runOne(runner, list, i, invocation, &cached, chained));
    }
    return {};
}

} // namespace faasd::network
