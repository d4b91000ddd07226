#pragma once

// HTTP basic auth for /system/* and /ui/: credentials compared in constant
// time; failures answer 401 with WWW-Authenticate: Basic realm="Restricted".

#include "common/error.hpp"
#include "gateway/http_types.hpp"

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace faasd::gateway {

struct Credentials {
    std::string user;
    std::string password;
};

// Reads dir/basic-auth-user and dir/basic-auth-password, trailing
// whitespace trimmed (the files usually end with a newline).
Result<Credentials> readCredentials(const std::filesystem::path& dir);

class BasicAuth {
public:
    explicit BasicAuth(Credentials credentials) : credentials_(std::move(credentials)) {}

    // Checks an Authorization header value ("Basic base64(user:password)").
    bool allows(std::optional<std::string_view> authorization) const;

    static Response unauthorized();

private:
    Credentials credentials_;
};

// Compares without an early exit on the first difference.
bool constantTimeEquals(std::string_view a, std::string_view b);

} // namespace faasd::gateway
