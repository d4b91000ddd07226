#include "cli/client_config.hpp"

#include "common/base64.hpp"
#include "common/files.hpp"

#include <cerrno>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

namespace faasd::cli {

std::string normalizeGateway(std::string_view url) {
    std::string out(url);
    while (!out.empty() && (out.back() == '/' || out.back() == ' ')) {
        out.pop_back();
    }
    while (!out.empty() && out.front() == ' ') {
        out.erase(out.begin());
    }
    if (!out.empty() && out.find("://") == std::string::npos) {
        out = "http://" + out;
    }
    return out;
}

std::string resolveGateway(std::string_view flag, std::string_view stackGateway,
                           const config::Env& env) {
    if (!flag.empty()) {
        return normalizeGateway(flag);
    }
    if (!stackGateway.empty()) {
        return normalizeGateway(stackGateway);
    }
    if (auto it = env.find("OPENFAAS_URL"); it != env.end() && !it->second.empty()) {
        return normalizeGateway(it->second);
    }
    return kDefaultGateway;
}

Result<std::filesystem::path> credentialsFile(const config::Env& env) {
    if (auto it = env.find("OPENFAAS_CONFIG"); it != env.end() && !it->second.empty()) {
        return std::filesystem::path(it->second) / "config.yml";
    }
    if (auto it = env.find("HOME"); it != env.end() && !it->second.empty()) {
        return std::filesystem::path(it->second) / ".openfaas" / "config.yml";
    }
    return fail(Code::FailedPrecondition,
                "neither OPENFAAS_CONFIG nor HOME is set: nowhere to keep credentials");
}

namespace {

// The file as a YAML map; a missing file is an empty map.
Result<YAML::Node> loadFile(const std::filesystem::path& file) {
    std::error_code ec;
    if (!std::filesystem::exists(file, ec)) {
        return YAML::Node(YAML::NodeType::Map);
    }
    TRY_ASSIGN(auto text, readFile(file));
    YAML::Node root;
    try {
        root = YAML::Load(text);
    } catch (const YAML::ParserException& e) {
        return fail(Code::InvalidArgument, "{}:{}:{}: YAML syntax error: {}", file.string(),
                    e.mark.line + 1, e.mark.column + 1, e.msg);
    }
    if (root.IsNull()) {
        return YAML::Node(YAML::NodeType::Map);
    }
    if (!root.IsMap()) {
        return fail(Code::InvalidArgument, "{}: must be a map with auths:", file.string());
    }
    const auto auths = root["auths"];
    if (auths && !auths.IsNull() && !auths.IsSequence()) {
        return fail(Code::InvalidArgument, "{}:{}: auths: must be a list", file.string(),
                    auths.Mark().line + 1);
    }
    return root;
}

std::string entryGateway(const YAML::Node& entry) {
    if (!entry.IsMap() || !entry["gateway"] || !entry["gateway"].IsScalar()) {
        return {};
    }
    return normalizeGateway(entry["gateway"].Scalar());
}

Result<void> writeFile(const std::filesystem::path& file, const YAML::Node& root) {
    auto dir = file.parent_path();
    if (!dir.empty()) {
        std::error_code ec;
        bool existed = std::filesystem::exists(dir, ec);
        std::filesystem::create_directories(dir, ec);
        if (ec) {
            return fail(Code::Internal, "creating {}: {}", dir.string(), ec.message());
        }
        if (!existed && ::chmod(dir.c_str(), 0700) != 0) {
            return fail(systemError("chmod " + dir.string(), errno));
        }
    }
    YAML::Emitter out;
    out << root;
    std::string text = out.c_str();
    text += '\n';
    return withContext(writeFileAtomic(file, text, 0600), "writing " + file.string());
}

} // namespace

Result<std::optional<Credentials>> loadCredentials(const std::filesystem::path& file,
                                                   std::string_view gateway) {
    TRY_ASSIGN(auto root, loadFile(file));
    const std::string wanted = normalizeGateway(gateway);
    for (const auto& entry : root["auths"]) {
        if (entryGateway(entry) != wanted) {
            continue;
        }
        const auto token = entry["token"];
        const auto auth = entry["auth"];
        if (auth && auth.IsScalar() && auth.Scalar() != "basic") {
            return fail(Code::InvalidArgument,
                        "{}: the entry for {} uses auth \"{}\"; faasd knows only basic",
                        file.string(), wanted, auth.Scalar());
        }
        if (!token || !token.IsScalar()) {
            return fail(Code::InvalidArgument, "{}: the entry for {} has no token", file.string(),
                        wanted);
        }
        auto decoded = base64Decode(token.Scalar());
        if (!decoded) {
            return fail(Code::InvalidArgument, "{}: the token for {} is not base64", file.string(),
                        wanted);
        }
        auto colon = decoded->find(':');
        if (colon == std::string::npos) {
            return fail(Code::InvalidArgument, "{}: the token for {} is not user:password",
                        file.string(), wanted);
        }
        return Credentials{decoded->substr(0, colon), decoded->substr(colon + 1)};
    }
    return std::optional<Credentials>{};
}

Result<void> saveCredentials(const std::filesystem::path& file, std::string_view gateway,
                             const Credentials& credentials) {
    TRY_ASSIGN(auto root, loadFile(file));
    const std::string wanted = normalizeGateway(gateway);
    YAML::Node entry(YAML::NodeType::Map);
    entry["gateway"] = wanted;
    entry["auth"] = "basic";
    entry["token"] = base64Encode(credentials.user + ":" + credentials.password);
    YAML::Node auths(YAML::NodeType::Sequence);
    bool replaced = false;
    for (const auto& old : root["auths"]) {
        if (entryGateway(old) == wanted) {
            if (!replaced) {
                auths.push_back(entry);
                replaced = true;
            }
        } else {
            auths.push_back(old);
        }
    }
    if (!replaced) {
        auths.push_back(entry);
    }
    root["auths"] = auths;
    return writeFile(file, root);
}

Result<void> removeCredentials(const std::filesystem::path& file, std::string_view gateway) {
    TRY_ASSIGN(auto root, loadFile(file));
    const std::string wanted = normalizeGateway(gateway);
    YAML::Node auths(YAML::NodeType::Sequence);
    bool removed = false;
    for (const auto& old : root["auths"]) {
        if (entryGateway(old) == wanted) {
            removed = true;
        } else {
            auths.push_back(old);
        }
    }
    if (!removed) {
        return fail(Code::NotFound, "no credentials for {} in {}", wanted, file.string());
    }
    root["auths"] = auths;
    return writeFile(file, root);
}

} // namespace faasd::cli
