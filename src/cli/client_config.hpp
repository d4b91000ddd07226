#pragma once

// What the client verbs read besides their flags: which gateway to talk to,
// and the credentials `faasd login` stored for it, in faas-cli's file
// (~/.openfaas/config.yml, or $OPENFAAS_CONFIG/config.yml), kept 0600:
//
//   auths:
//   - gateway: http://127.0.0.1:8080
//     auth: basic
//     token: base64(user:password)

#include "common/error.hpp"
#include "config/daemon_config.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace faasd::cli {

inline constexpr const char* kDefaultGateway = "http://127.0.0.1:8080";

// "127.0.0.1:8080/" -> "http://127.0.0.1:8080": adds http:// when no scheme
// is given and drops trailing slashes.
std::string normalizeGateway(std::string_view url);

// The gateway, first of: the -g flag, the stack file's provider.gateway,
// OPENFAAS_URL, http://127.0.0.1:8080 (faas-cli's order).
std::string resolveGateway(std::string_view flag, std::string_view stackGateway,
                           const config::Env& env);

// $OPENFAAS_CONFIG/config.yml, else $HOME/.openfaas/config.yml.
Result<std::filesystem::path> credentialsFile(const config::Env& env);

struct Credentials {
    std::string user;
    std::string password;
};

// The credentials stored for gateway, if any. A missing file is no
// credentials; a malformed one is an error naming the file.
Result<std::optional<Credentials>> loadCredentials(const std::filesystem::path& file,
                                                   std::string_view gateway);

// Stores credentials for gateway, replacing its entry and keeping every
// other entry and field of the file; the file is written atomically, 0600,
// in a 0700 directory.
Result<void> saveCredentials(const std::filesystem::path& file, std::string_view gateway,
                             const Credentials& credentials);

// Removes gateway's entry; NotFound when there is none.
Result<void> removeCredentials(const std::filesystem::path& file, std::string_view gateway);

} // namespace faasd::cli
