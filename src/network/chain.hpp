#pragma once

// Executing a conflist as the CNI spec orders it:
//  ADD   plugins in order; each gets the previous plugin's result as
//        "prevResult" (the first gets none); the last result is the
//        attachment's result.
//  DEL   plugins in reverse order; each gets the cached ADD result.
//  CHECK plugins in order; each gets the cached ADD result.
// Every request config is the plugin's own config with the list's "name"
// and "cniVersion" injected. The first failing plugin stops the chain.
//
// chained, when given, is held while any plugin after the first runs.
// Chained plugins edit state shared by every attachment without locking it
// (the firewall plugin checks for its FORWARD jump, then inserts it, so
// two at once insert two); the first plugin, which does the slow work of
// making interfaces and leasing an IP, still runs for many ids at once.

#include "common/error.hpp"
#include "network/conflist.hpp"
#include "network/plugin.hpp"

#include <mutex>
#include <nlohmann/json.hpp>
#include <string_view>

namespace faasd::network {

// The stdin of plugin index of list; prevResult may be null (none).
nlohmann::json requestConfig(const Conflist& list, size_t index, const nlohmann::json* prevResult);

// Runs ADD along the list and returns the final result. lastResult, when
// given, receives the most recent successful result even on failure, for
// the DEL that undoes a half-made attachment.
Result<nlohmann::json> addChain(const PluginRunner& runner, const Conflist& list,
                                Invocation invocation, nlohmann::json* lastResult = nullptr,
                                std::mutex* chained = nullptr);

// Runs DEL along the list in reverse, handing every plugin cached (the ADD
// result; null when unknown). Cached results are only passed from 0.4.0 on.
Result<void> delChain(const PluginRunner& runner, const Conflist& list, Invocation invocation,
                      const nlohmann::json& cached, std::mutex* chained = nullptr);

// Runs CHECK along the list with the cached ADD result. Needs 0.4.0 or
// later; a list with disableCheck passes without running anything.
Result<void> checkChain(const PluginRunner& runner, const Conflist& list, Invocation invocation,
                        const nlohmann::json& cached, std::mutex* chained = nullptr);

// Compares dotted versions numerically: versionAtLeast("1.0.0", "0.4.0").
bool versionAtLeast(std::string_view version, std::string_view minimum);

} // namespace faasd::network
