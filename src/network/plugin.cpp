#include "network/plugin.hpp"

#include "common/subprocess.hpp"
#include "network/logger.hpp"
#include "network/names.hpp"

#include <algorithm>
#include <system_error>
#include <unistd.h>

extern char** environ;

namespace faasd::network {

using nlohmann::json;

namespace {

constexpr std::string_view kDefaultPath =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
        s.remove_suffix(1);
    }
    while (!s.empty() && (s.front() == '\n' || s.front() == ' ')) {
        s.remove_prefix(1);
    }
    return s;
}

Code codeFor(long long cniCode) {
    switch (cniCode) {
    case 3:
        return Code::NotFound;
    case 11:
    case 50:
    case 51:
        return Code::Unavailable;
    case 1:
    case 2:
    case 4:
    case 6:
    case 7:
        return Code::InvalidArgument;
    default:
        return Code::Internal;
    }
}

std::string joinArgs(const std::vector<std::pair<std::string, std::string>>& args) {
    std::string out;
    for (const auto& [k, v] : args) {
        if (!out.empty()) {
            out += ';';
        }
        out += k + "=" + v;
    }
    return out;
}

} // namespace

std::string_view commandName(Command command) {
    switch (command) {
    case Command::Add:
        return "ADD";
    case Command::Del:
        return "DEL";
    case Command::Check:
        return "CHECK";
    case Command::Version:
        return "VERSION";
    }
    return "?";
}

std::string PluginRunner::cniPath() const {
    std::string path;
    for (const auto& dir : dirs_) {
        if (!path.empty()) {
            path += ':';
        }
        path += dir.string();
    }
    return path;
}

Result<std::filesystem::path> PluginRunner::find(std::string_view type) const {
    TRY(validatePluginType(type));
    for (const auto& dir : dirs_) {
        auto candidate = dir / type;
        std::error_code ec;
        if (::access(candidate.c_str(), X_OK) == 0 &&
            !std::filesystem::is_directory(candidate, ec)) {
            return candidate;
        }
    }
    return fail(Code::NotFound, "{} plugin not found in {}", type, cniPath());
}

std::vector<std::string> PluginRunner::environment(const Invocation& invocation) const {
    std::vector<std::string> env;
    bool havePath = false;
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
        std::string_view var(*e);
        if (var.starts_with("CNI_")) {
            continue;
        }
        havePath = havePath || var.starts_with("PATH=");
        env.emplace_back(var);
    }
    if (!havePath) {
        env.emplace_back(kDefaultPath);
    }
    env.push_back(fmt::format("CNI_COMMAND={}", commandName(invocation.command)));
    env.push_back("CNI_PATH=" + cniPath());
    if (invocation.command != Command::Version) {
        env.push_back("CNI_CONTAINERID=" + invocation.containerId);
        env.push_back("CNI_NETNS=" + invocation.netns);
        env.push_back("CNI_IFNAME=" + invocation.ifName);
        env.push_back("CNI_ARGS=" + joinArgs(invocation.args));
    }
    return env;
}

Result<json> PluginRunner::exec(std::string_view type, const Invocation& invocation,
                                const json& config) const {
    TRY_ASSIGN(auto path, find(type));
    SubprocessOptions options{
        .argv = {path.string()},
        .env = environment(invocation),
    };
    kLog.debug("{} {} for {} (netns {})", type, commandName(invocation.command),
               invocation.containerId, invocation.netns);
    auto output = run(std::move(options), config.dump(), timeout_);
    if (!output) {
        if (output.error().code() == Code::Timeout) {
            return fail(Code::Timeout, "{} plugin: killed after {} ms without finishing", type,
                        timeout_.count());
        }
        return fail(output.error().context(fmt::format("{} plugin", type)));
    }
    if (auto err = trim(output->err); !err.empty()) {
        kLog.debug("{} plugin {}: {}", type, commandName(invocation.command), err);
    }
    if (output->status != 0) {
        return fail(pluginError(type, output->status, output->out, output->err));
    }
    auto out = trim(output->out);
    if (out.empty()) {
        return json();
    }
    json result = json::parse(out, nullptr, false);
    if (result.is_discarded() || !result.is_object()) {
        return fail(Code::Internal, "{} plugin: printed something that is not a JSON object: {}",
                    type, out.substr(0, 200));
    }
    return result;
}

Result<std::vector<std::string>> PluginRunner::versions(std::string_view type,
                                                        std::string_view cniVersion) const {
    Invocation invocation{.command = Command::Version};
    TRY_ASSIGN(auto out, exec(type, invocation, json{{"cniVersion", cniVersion}}));
    auto supported = out.is_object() ? out.find("supportedVersions") : out.end();
    if (!out.is_object() || supported == out.end() || !supported->is_array()) {
        return fail(Code::Internal, "{} plugin: VERSION printed no \"supportedVersions\"", type);
    }
    std::vector<std::string> versions;
    for (const auto& v : *supported) {
        if (v.is_string()) {
            versions.push_back(v.get<std::string>());
        }
    }
    return versions;
}

Error pluginError(std::string_view type, int status, std::string_view out, std::string_view err) {
    json obj = json::parse(trim(out), nullptr, false);
    if (!obj.is_discarded() && obj.is_object() && obj.contains("msg")) {
        long long cniCode = 0;
        if (auto c = obj.find("code"); c != obj.end() && c->is_number_integer()) {
            cniCode = c->get<long long>();
        }
        std::string msg =
            obj["msg"].is_string() ? obj["msg"].get<std::string>() : obj["msg"].dump();
        std::string details;
        if (auto d = obj.find("details"); d != obj.end() && d->is_string()) {
            details = d->get<std::string>();
        }
        std::string text = details.empty() || details == msg ? msg : msg + ": " + details;
        return Error(codeFor(cniCode),
                     fmt::format("{} plugin: {} (CNI error {})", type, text, cniCode));
    }
    auto reason = trim(err).empty() ? trim(out) : trim(err);
    if (reason.size() > 500) {
        reason = reason.substr(reason.size() - 500);
    }
    if (reason.empty()) {
        return Error(Code::Internal, fmt::format("{} plugin: exited with status {}", type, status));
    }
    return Error(Code::Internal,
                 fmt::format("{} plugin: exited with status {}: {}", type, status, reason));
}

} // namespace faasd::network
