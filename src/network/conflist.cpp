#include "network/conflist.hpp"

#include "common/files.hpp"
#include "network/cni_result.hpp"
#include "network/names.hpp"

#include <cerrno>
#include <sys/stat.h>
#include <system_error>

namespace faasd::network {

using nlohmann::json;

std::string Conflist::pluginType(size_t index) const {
    return plugins.at(index).at("type").get<std::string>();
}

json Conflist::toJson() const {
    json out = {{"cniVersion", cniVersion}, {"name", name}, {"plugins", plugins}};
    if (disableCheck) {
        out["disableCheck"] = true;
    }
    return out;
}

json makeConflist(const NetworkConfig& config) {
    json ipam = {
        {"type", "host-local"},
        {"subnet", config.subnet},
        {"dataDir", config.ipamDataDir.string()},
        {"routes", json::array({{{"dst", "0.0.0.0/0"}}})},
    };
    json plugins = json::array();
    plugins.push_back({
        {"type", "bridge"},
        {"bridge", config.bridge},
        {"isGateway", true},
        {"ipMasq", true},
        {"ipam", std::move(ipam)},
    });
    if (config.firewall) {
        plugins.push_back({{"type", "firewall"}});
    }
    return {
        {"cniVersion", config.cniVersion},
        {"name", config.networkName},
        {"plugins", std::move(plugins)},
    };
}

Conflist loopbackConflist(std::string_view cniVersion) {
    return Conflist{
        .name = "cni-loopback",
        .cniVersion = std::string(cniVersion),
        .plugins = {json{{"type", "loopback"}}},
    };
}

Result<Conflist> conflistFromJson(const json& in) {
    if (!in.is_object()) {
        return fail(Code::InvalidArgument, "a conflist must be a JSON object");
    }
    Conflist out;
    auto name = in.find("name");
    if (name == in.end() || !name->is_string()) {
        return fail(Code::InvalidArgument, "conflist has no \"name\"");
    }
    out.name = name->get<std::string>();
    TRY(validateName("network name", out.name));
    auto version = in.find("cniVersion");
    if (version == in.end() || !version->is_string() || version->get<std::string>().empty()) {
        return fail(Code::InvalidArgument, "conflist {} has no \"cniVersion\"", out.name);
    }
    out.cniVersion = version->get<std::string>();
    auto disable = in.find("disableCheck");
    if (disable != in.end()) {
        // Older runtimes wrote it as a string.
        out.disableCheck = disable->is_boolean() ? disable->get<bool>()
                                                 : (disable->is_string() && *disable == "true");
    }
    auto plugins = in.find("plugins");
    if (plugins == in.end() || !plugins->is_array() || plugins->empty()) {
        return fail(Code::InvalidArgument, "conflist {} has no plugins", out.name);
    }
    for (const auto& plugin : *plugins) {
        auto type = plugin.is_object() ? plugin.find("type") : plugin.end();
        if (!plugin.is_object() || type == plugin.end() || !type->is_string() ||
            type->get<std::string>().empty()) {
            return fail(Code::InvalidArgument, "conflist {}: plugin {} has no \"type\"", out.name,
                        out.plugins.size());
        }
        TRY(validatePluginType(type->get<std::string>()));
        out.plugins.push_back(plugin);
    }
    return out;
}

Result<Conflist> parseConflist(std::string_view text) {
    json in = json::parse(text, nullptr, false);
    if (in.is_discarded()) {
        return fail(Code::InvalidArgument, "conflist is not valid JSON");
    }
    return conflistFromJson(in);
}

Result<Conflist> readConflist(const std::filesystem::path& path) {
    TRY_ASSIGN(auto text, readFile(path));
    return withContext(parseConflist(text), path.string());
}

Result<bool> ensureConflist(const NetworkConfig& config) {
    const auto path = config.conflistPath();
    // A bad name or subnet fails here, at start, not at the first deploy.
    TRY(withContext(conflistFromJson(makeConflist(config)), path.string()));
    TRY(withContext(splitCidr(config.subnet), fmt::format("{}: subnet", path.string())));
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0) {
        return false;
    }
    if (errno != ENOENT) {
        return fail(systemError(fmt::format("checking {}", path.string()), errno));
    }
    std::error_code ec;
    std::filesystem::create_directories(config.confDir, ec);
    if (ec) {
        return fail(systemError(fmt::format("creating {}", config.confDir.string()), ec.value()));
    }
    TRY(writeFileAtomic(path, makeConflist(config).dump(2) + "\n", 0644));
    return true;
}

std::string attachTarget(const Conflist& conflist) {
    for (const auto& plugin : conflist.plugins) {
        auto bridge = plugin.find("bridge");
        if (bridge != plugin.end() && bridge->is_string()) {
            return bridge->get<std::string>();
        }
    }
    return conflist.name;
}

} // namespace faasd::network
