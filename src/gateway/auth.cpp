#include "gateway/auth.hpp"

#include "common/base64.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"

#include <algorithm>

namespace faasd::gateway {

bool constantTimeEquals(std::string_view a, std::string_view b) {
    // Walks the longer length every time so the loop does not reveal where
    // the first difference is; a length difference still fails.
    size_t n = std::max(a.size(), b.size());
    unsigned char diff = a.size() == b.size() ? 0 : 1;
    for (size_t i = 0; i < n; ++i) {
        unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
        unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
        diff |= static_cast<unsigned char>(x ^ y);
    }
    return diff == 0;
}

namespace {

Result<std::string> readTrimmed(const std::filesystem::path& path) {
    TRY_ASSIGN(auto text, readFile(path));
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ' ||
                             text.back() == '\t')) {
        text.pop_back();
    }
    if (text.empty()) {
        return fail(Code::InvalidArgument, "{} is empty", path.string());
    }
    return text;
}

} // namespace

Result<Credentials> readCredentials(const std::filesystem::path& dir) {
    Credentials c;
    TRY_ASSIGN(c.user, readTrimmed(dir / "basic-auth-user"));
    TRY_ASSIGN(c.password, readTrimmed(dir / "basic-auth-password"));
    return c;
}

bool BasicAuth::allows(std::optional<std::string_view> authorization) const {
    if (!authorization) {
        return false;
    }
    std::string_view value = *authorization;
    constexpr std::string_view kScheme = "Basic ";
    if (value.size() <= kScheme.size() || !istartsWith(value, kScheme)) {
        return false;
    }
    value.remove_prefix(kScheme.size());
    while (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    auto decoded = base64Decode(value);
    if (!decoded) {
        return false;
    }
    size_t colon = decoded->find(':');
    if (colon == std::string::npos) {
        return false;
    }
    std::string_view user = std::string_view(*decoded).substr(0, colon);
    std::string_view password = std::string_view(*decoded).substr(colon + 1);
    // Both comparisons always run.
    bool userOk = constantTimeEquals(user, credentials_.user);
    bool passwordOk = constantTimeEquals(password, credentials_.password);
    return userOk && passwordOk;
}

Response BasicAuth::unauthorized() {
    Response r = Response::text(401, "Unauthorized\n");
    r.headers.emplace_back("WWW-Authenticate", "Basic realm=\"Restricted\"");
    return r;
}

} // namespace faasd::gateway
