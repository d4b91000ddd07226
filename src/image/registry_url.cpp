#include "common/strings.hpp"
#include "image/registry_client.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

// URLs and error bodies of registry answers.

namespace faasd::image {

Result<Url> parseUrl(std::string_view text) {
    Url url;
    auto sep = text.find("://");
    if (sep == std::string_view::npos) {
        return fail(Code::InvalidArgument, "URL {} has no scheme", text);
    }
    url.scheme = asciiLower(text.substr(0, sep));
    if (url.scheme != "http" && url.scheme != "https") {
        return fail(Code::InvalidArgument, "URL {}: scheme {} is not http or https", text,
                    url.scheme);
    }
    std::string_view rest = text.substr(sep + 3);
    auto slash = rest.find_first_of("/?");
    url.host = std::string(rest.substr(0, slash));
    if (url.host.empty()) {
        return fail(Code::InvalidArgument, "URL {} has no host", text);
    }
    url.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (url.target.front() == '?') {
        url.target.insert(0, "/");
    }
    return url;
}

Result<Url> resolveUrl(const Url& base, std::string_view location) {
    if (location.find("://") != std::string_view::npos) {
        return parseUrl(location);
    }
    if (location.rfind("//", 0) == 0) {
        return parseUrl(base.scheme + ":" + std::string(location));
    }
    Url out = base;
    if (!location.empty() && location.front() == '/') {
        out.target = std::string(location);
    } else {
        auto path = base.target.substr(0, base.target.find('?'));
        out.target = path.substr(0, path.rfind('/') + 1) + std::string(location);
    }
    return out;
}

std::string urlEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 15]);
        }
    }
    return out;
}

std::string HttpResponse::header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
}

std::string registryError(const HttpResponse& response) {
    auto j = nlohmann::json::parse(response.body, nullptr, false);
    std::string text;
    if (j.is_object() && j.contains("errors") && j["errors"].is_array()) {
        for (const auto& e : j["errors"]) {
            if (!e.is_object()) {
                continue;
            }
            if (!text.empty()) {
                text += "; ";
            }
            text += e.value("code", "") + " " + e.value("message", "");
        }
    }
    if (text.empty()) {
        return fmt::format("HTTP {}", response.status);
    }
    return fmt::format("HTTP {}: {}", response.status, text);
}

} // namespace faasd::image
