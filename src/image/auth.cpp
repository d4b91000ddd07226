#include "image/auth.hpp"

#include "common/base64.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>

namespace faasd::image {
namespace {

bool isSpace(char c) {
    return c == ' ' || c == '\t';
}

// A cursor over a header value.
struct Scanner {
    std::string_view s;
    size_t i = 0;

    void skipSpace() {
        while (i < s.size() && isSpace(s[i])) {
            ++i;
        }
    }
    bool done() const { return i >= s.size(); }
    std::string token() {
        size_t start = i;
        while (i < s.size() && !isSpace(s[i]) && s[i] != '=' && s[i] != ',') {
            ++i;
        }
        return std::string(s.substr(start, i - start));
    }
    std::string quoted() {
        std::string out;
        ++i; // opening quote
        while (i < s.size() && s[i] != '"') {
            if (s[i] == '\\' && i + 1 < s.size()) {
                ++i;
            }
            out.push_back(s[i++]);
        }
        ++i; // closing quote
        return out;
    }
};

// "https://index.docker.io/v1/" -> "index.docker.io"
std::string keyHost(std::string_view key) {
    if (auto p = key.find("://"); p != std::string_view::npos) {
        key.remove_prefix(p + 3);
    }
    return asciiLower(key.substr(0, key.find('/')));
}

bool isDockerHub(std::string_view host) {
    return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io";
}

} // namespace

std::vector<Challenge> parseWwwAuthenticate(std::string_view header) {
    std::vector<Challenge> out;
    Scanner sc{header};
    while (true) {
        sc.skipSpace();
        while (!sc.done() && sc.s[sc.i] == ',') {
            ++sc.i;
            sc.skipSpace();
        }
        if (sc.done()) {
            break;
        }
        std::string word = sc.token();
        sc.skipSpace();
        if (!sc.done() && sc.s[sc.i] == '=' && !out.empty()) {
            // A parameter of the current challenge.
            ++sc.i;
            sc.skipSpace();
            std::string value = (!sc.done() && sc.s[sc.i] == '"') ? sc.quoted() : sc.token();
            out.back().params[asciiLower(word)] = value;
            continue;
        }
        if (word.empty()) {
            ++sc.i; // a stray character: skip it
            continue;
        }
        out.push_back(Challenge{asciiLower(word), {}});
    }
    return out;
}

std::string tokenFromAnswer(std::string_view body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object()) {
        return {};
    }
    for (const char* key : {"token", "access_token"}) {
        if (auto it = j.find(key); it != j.end() && it->is_string()) {
            return it->get<std::string>();
        }
    }
    return {};
}

Result<std::optional<Credentials>> lookupCredentials(std::string_view configJson,
                                                     std::string_view host) {
    using nlohmann::json;
    json j = json::parse(configJson, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return fail(Code::InvalidArgument, "registry credentials: not a JSON object");
    }
    auto auths = j.find("auths");
    if (auths == j.end() || !auths->is_object()) {
        return std::optional<Credentials>{};
    }
    const std::string want = asciiLower(host);
    const json* entry = nullptr;
    for (const auto& [key, value] : auths->items()) {
        std::string h = keyHost(key);
        if (h == want || (isDockerHub(want) && isDockerHub(h))) {
            // An exact key beats Docker Hub's aliases.
            if (entry == nullptr || h == want) {
                entry = &value;
            }
            if (h == want) {
                break;
            }
        }
    }
    if (entry == nullptr || !entry->is_object()) {
        return std::optional<Credentials>{};
    }
    Credentials c;
    try {
        if (auto a = entry->find("auth");
            a != entry->end() && a->is_string() && !a->get<std::string>().empty()) {
            auto decoded = base64Decode(a->get<std::string>());
            if (!decoded) {
                return fail(decoded.error().context(
                    fmt::format("registry credentials for {}: auth field", host)));
            }
            auto colon = decoded->find(':');
            if (colon == std::string::npos) {
                return fail(Code::InvalidArgument,
                            "registry credentials for {}: auth field is not user:password", host);
            }
            c.username = decoded->substr(0, colon);
            c.password = decoded->substr(colon + 1);
        } else {
            c.username = entry->value("username", "");
            c.password = entry->value("password", "");
        }
        c.identityToken = entry->value("identitytoken", "");
    } catch (const json::exception& e) {
        return fail(Code::InvalidArgument, "registry credentials for {}: {}", host, e.what());
    }
    if (c.username.empty() && c.password.empty() && c.identityToken.empty()) {
        return std::optional<Credentials>{};
    }
    return std::optional<Credentials>{std::move(c)};
}

Result<std::optional<Credentials>> loadCredentials(const std::string& path, std::string_view host) {
    if (path.empty()) {
        return std::optional<Credentials>{};
    }
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
        return std::optional<Credentials>{};
    }
    TRY_ASSIGN(auto text, readFile(path));
    return withContext(lookupCredentials(text, host), path);
}

std::string basicAuthorization(const Credentials& credentials) {
    return "Basic " + base64Encode(credentials.username + ":" + credentials.password);
}

} // namespace faasd::image
