#pragma once

// A real registry for integration tests: Debian's docker-registry on
// 127.0.0.1 and a free port, storing into a temporary directory, optionally
// behind htpasswd basic auth. Stopped, and its storage removed, when the
// object goes; killed by the kernel if the test binary dies first.

#include "common/error.hpp"
#include "common/files.hpp"
#include "common/subprocess.hpp"

#include <memory>
#include <optional>
#include <string>

namespace faasd::testing {

struct RegistryUser {
    std::string username;
    std::string password;
};

class RegistryServer {
public:
    static Result<std::unique_ptr<RegistryServer>> start(std::optional<RegistryUser> user = {});
    ~RegistryServer();

    // "127.0.0.1:<port>"
    const std::string& host() const { return host_; }
    const std::filesystem::path& dir() const { return dir_.path(); }

private:
    RegistryServer(TempDir dir) : dir_(std::move(dir)) {}
    TempDir dir_;
    std::string host_;
    std::unique_ptr<Subprocess> process_;
};

} // namespace faasd::testing
