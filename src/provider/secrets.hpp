#pragma once

// Function secrets on disk: <root>/<namespace>/<name>, files 0600 in dirs
// 0700 (root only). A function that uses secrets gets a copy of them in a
// directory of its own, owned by the image's user (files 0400, dir 0500),
// which its replicas bind-mount read-only at /var/openfaas/secrets. An
// update replaces the copies by rename inside that directory, so running
// replicas see the new value.

#include "common/error.hpp"
#include "provider/spec.hpp"

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

namespace faasd::provider {

class SecretStore {
public:
    explicit SecretStore(std::filesystem::path root) : root_(std::move(root)) {}

    Result<void> create(const std::string& ns, const std::string& name, std::string_view bytes);
    Result<void> update(const std::string& ns, const std::string& name, std::string_view bytes);
    Result<void> remove(const std::string& ns, const std::string& name);
    Result<std::vector<std::string>> list(const std::string& ns) const;
    Result<std::string> read(const std::string& ns, const std::string& name) const;
    bool exists(const std::string& ns, const std::string& name) const;
    // Removes the namespace's secrets dir (when the namespace goes).
    void removeNamespace(const std::string& ns);

    // Writes copies of names into dir, owned by user.
    Result<void> materialize(const std::string& ns, const std::vector<std::string>& names,
                             const std::filesystem::path& dir, User user) const;

private:
    std::filesystem::path path(const std::string& ns, const std::string& name) const {
        return root_ / ns / name;
    }
    std::filesystem::path root_;
    mutable std::mutex mu_;
};

// Writes bytes to path through a temp file in the same dir, with the owner
// and mode set before the rename.
Result<void> writeOwnedFile(const std::filesystem::path& path, std::string_view bytes, mode_t mode,
                            uid_t uid, gid_t gid);

// Creates dir (and parents, 0700) and sets its owner and mode.
Result<void> makeOwnedDir(const std::filesystem::path& dir, mode_t mode, uid_t uid, gid_t gid);

} // namespace faasd::provider
