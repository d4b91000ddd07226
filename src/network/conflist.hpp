#pragma once

// CNI network configuration lists (".conflist"): generating ours from a
// NetworkConfig, writing it once, and reading one back.

#include "common/error.hpp"
#include "network/network_config.hpp"

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::network {

struct Conflist {
    std::string name;
    std::string cniVersion;
    // Each plugin's configuration as written, "type" always present.
    std::vector<nlohmann::json> plugins;
    bool disableCheck = false;

    std::string pluginType(size_t index) const;
    nlohmann::json toJson() const;
};

// The conflist for config: bridge (+ host-local IPAM), then firewall if
// enabled.
nlohmann::json makeConflist(const NetworkConfig& config);

// The one-plugin list that brings up the namespace's "lo".
Conflist loopbackConflist(std::string_view cniVersion);

// Parses and validates a conflist: name, cniVersion, and a non-empty
// plugins array whose entries each have a string "type".
Result<Conflist> conflistFromJson(const nlohmann::json& json);
Result<Conflist> parseConflist(std::string_view text);
Result<Conflist> readConflist(const std::filesystem::path& path);

// Writes makeConflist(config) to config.conflistPath() unless a file is
// there already (an operator's edits win). Returns whether it wrote one.
Result<bool> ensureConflist(const NetworkConfig& config);

// The "bridge" of the first plugin that names one, else the network name:
// what messages say an id is attached to.
std::string attachTarget(const Conflist& conflist);

} // namespace faasd::network
