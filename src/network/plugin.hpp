#pragma once

// Runs one CNI plugin binary the way the CNI spec asks: found in the plugin
// dirs, CNI_* variables in its environment, the request config on stdin,
// a result or an error object on stdout. Each run is bounded by a timeout
// after which the plugin is killed (SIGKILL) and reaped.

#include "common/error.hpp"

#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faasd::network {

enum class Command { Add, Del, Check, Version };

std::string_view commandName(Command command); // "ADD", "DEL", ...

// The attachment parameters of one run.
struct Invocation {
    Command command = Command::Add;
    std::string containerId;
    std::string netns;
    std::string ifName;
    std::vector<std::pair<std::string, std::string>> args; // CNI_ARGS, "K=V;K=V"
};

class PluginRunner {
public:
    PluginRunner(std::vector<std::filesystem::path> dirs, std::chrono::milliseconds timeout)
        : dirs_(std::move(dirs)), timeout_(timeout) {}

    // The first executable named type in the plugin dirs.
    Result<std::filesystem::path> find(std::string_view type) const;

    // Runs plugin type with config on stdin. On success returns what it
    // printed, parsed (null when it printed nothing, as DEL and CHECK may).
    // A non-zero exit becomes an error naming the plugin and carrying its
    // message; see pluginError.
    Result<nlohmann::json> exec(std::string_view type, const Invocation& invocation,
                                const nlohmann::json& config) const;

    // The protocol versions plugin type supports (CNI_COMMAND=VERSION).
    Result<std::vector<std::string>> versions(std::string_view type,
                                              std::string_view cniVersion) const;

    // The environment for a run: ours without any CNI_* variables, with a
    // PATH (plugins run iptables), plus this run's CNI_* variables.
    std::vector<std::string> environment(const Invocation& invocation) const;

    std::chrono::milliseconds timeout() const { return timeout_; }
    std::string cniPath() const;

private:
    std::vector<std::filesystem::path> dirs_;
    std::chrono::milliseconds timeout_;
};

// The error for a plugin that exited with status: its error object
// {"code","msg","details"} from stdout when it printed one, else its stderr.
// The code maps CNI's well-known error codes onto ours (3: NotFound,
// 11 and 50-51: Unavailable, 1, 2, 4, 6, 7: InvalidArgument).
Error pluginError(std::string_view type, int status, std::string_view out, std::string_view err);

} // namespace faasd::network
