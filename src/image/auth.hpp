#pragma once

// Registry authentication: WWW-Authenticate challenges (RFC 7235, as
// registries send them) and credentials from a docker-style config.json.

#include "common/error.hpp"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::image {

struct Challenge {
    std::string scheme;                        // lowercase: "bearer", "basic"
    std::map<std::string, std::string> params; // lowercase keys: realm, service, scope
};

// Parses a WWW-Authenticate value; several challenges may be given, each
// with quoted or token parameters:
//   Bearer realm="https://auth.example/token",service="registry",scope="a:b:pull"
std::vector<Challenge> parseWwwAuthenticate(std::string_view header);

// The token in a token server's answer: {"token": "..."} as Docker's
// token spec has it, or OAuth's {"access_token": "..."}. Empty when the
// answer names none.
std::string tokenFromAnswer(std::string_view body);

struct Credentials {
    std::string username;
    std::string password;
    // Set instead of a password by some credential helpers: an OAuth
    // refresh token; sent as the password of a basic token request.
    std::string identityToken;
};

// Finds credentials for a registry host in the text of a config.json:
// {"auths": {"<host>": {"auth": "base64(user:pass)"}}} or with "username"
// and "password" fields. Keys may carry a scheme and path
// ("https://index.docker.io/v1/"); docker.io and registry-1.docker.io also
// match Docker Hub's legacy key. nullopt when the file names no such host.
Result<std::optional<Credentials>> lookupCredentials(std::string_view configJson,
                                                     std::string_view host);

// Reads config.json from path and looks host up in it. An empty path or a
// missing file means no credentials.
Result<std::optional<Credentials>> loadCredentials(const std::string& path, std::string_view host);

// "Basic base64(user:pass)"
std::string basicAuthorization(const Credentials& credentials);

} // namespace faasd::image
