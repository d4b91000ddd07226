#include "daemon/credentials.hpp"

#include "common/files.hpp"
#include "common/hmac.hpp"
#include "common/random.hpp"

#include <filesystem>

namespace faasd::daemon {
namespace {

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

// The payload secret, made when absent or empty.
Result<void> ensurePayloadSecret(const config::DaemonConfig& config, DaemonCredentials& c) {
    if (auto secret = readFile(config.payloadSecretFile()); secret) {
        c.payloadSecret = std::string(trimSecret(*secret));
        if (!c.payloadSecret.empty()) {
            return {};
        }
    }
    c.payloadSecret = randomHex(32);
    c.payloadSecretCreated = true;
    return writeFileAtomic(config.payloadSecretFile(), c.payloadSecret, 0600);
}

Result<DaemonCredentials> basicAuthCredentials(const config::DaemonConfig& config) {
    std::error_code ec;
    auto dir = std::filesystem::path(config.basicAuthUserFile()).parent_path();
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return fail(Code::PermissionDenied, "creating {}: {}", dir.string(), ec.message());
    }
    std::filesystem::permissions(dir, std::filesystem::perms::owner_all, ec);
    DaemonCredentials c;
    auto user = readFile(config.basicAuthUserFile());
    auto password = readFile(config.basicAuthPasswordFile());
    if (user && password && !trimmed(*user).empty() && !trimmed(*password).empty()) {
        c.user = trimmed(*user);
        c.password = trimmed(*password);
        return c;
    }
    c.user = user && !trimmed(*user).empty() ? trimmed(*user) : "admin";
    c.password = randomHex(20);
    c.created = true;
    TRY(writeFileAtomic(config.basicAuthUserFile(), c.user, 0600));
    TRY(writeFileAtomic(config.basicAuthPasswordFile(), c.password, 0600));
    return c;
}

} // namespace

Result<DaemonCredentials> ensureCredentials(const config::DaemonConfig& config) {
    TRY_ASSIGN(auto c, basicAuthCredentials(config));
    TRY(ensurePayloadSecret(config, c));
    return c;
}

Result<void> storeCredentials(const config::DaemonConfig& config, const DaemonCredentials& c) {
    TRY(writeFileAtomic(config.basicAuthUserFile(), c.user, 0600));
    TRY(writeFileAtomic(config.basicAuthPasswordFile(), c.password, 0600));
    return writeFileAtomic(config.payloadSecretFile(), c.payloadSecret, 0600);
}

} // namespace faasd::daemon
