#include "provider/secrets.hpp"

#include "api/validate.hpp"
#include "common/files.hpp"
#include "common/random.hpp"
#include "common/unique_fd.hpp"

#include <algorithm>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace faasd::provider {

namespace fs = std::filesystem;

Result<void> makeOwnedDir(const fs::path& dir, mode_t mode, uid_t uid, gid_t gid) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        return fail(Code::Internal, "creating {}: {}", dir.string(), ec.message());
    }
    if (::chown(dir.c_str(), uid, gid) < 0) {
        return fail(systemError(fmt::format("chown {}", dir.string()), errno));
    }
    if (::chmod(dir.c_str(), mode) < 0) {
        return fail(systemError(fmt::format("chmod {}", dir.string()), errno));
    }
    return {};
}

Result<void> writeOwnedFile(const fs::path& path, std::string_view bytes, mode_t mode, uid_t uid,
                            gid_t gid) {
    const fs::path tmp =
        path.parent_path() / fmt::format(".{}.{}", path.filename().string(), randomHex(4));
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) {
        return fail(systemError(fmt::format("creating {}", tmp.string()), errno));
    }
    auto cleanup = [&] { ::unlink(tmp.c_str()); };
    size_t done = 0;
    while (done < bytes.size()) {
        ssize_t n = ::write(fd.get(), bytes.data() + done, bytes.size() - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int err = errno;
            cleanup();
            return fail(systemError(fmt::format("writing {}", tmp.string()), err));
        }
        done += static_cast<size_t>(n);
    }
    if (::fchown(fd.get(), uid, gid) < 0 || ::fchmod(fd.get(), mode) < 0 || ::fsync(fd.get()) < 0) {
        int err = errno;
        cleanup();
        return fail(systemError(fmt::format("setting up {}", tmp.string()), err));
    }
    if (::rename(tmp.c_str(), path.c_str()) < 0) {
        int err = errno;
        cleanup();
        return fail(systemError(fmt::format("renaming {}", path.string()), err));
    }
    return {};
}

Result<void> SecretStore::create(const std::string& ns, const std::string& name,
                                 std::string_view bytes) {
    TRY(api::validateSecretName(name));
    std::lock_guard lock(mu_);
    if (exists(ns, name)) {
        return fail(Code::AlreadyExists, "secret {} already exists in namespace {}", name, ns);
    }
    TRY(makeOwnedDir(root_ / ns, 0700, 0, 0));
    return writeOwnedFile(path(ns, name), bytes, 0600, 0, 0);
}

Result<void> SecretStore::update(const std::string& ns, const std::string& name,
                                 std::string_view bytes) {
    TRY(api::validateSecretName(name));
    std::lock_guard lock(mu_);
    if (!exists(ns, name)) {
        return fail(Code::NotFound, "secret {} not found in namespace {}", name, ns);
    }
    return writeOwnedFile(path(ns, name), bytes, 0600, 0, 0);
}

Result<void> SecretStore::remove(const std::string& ns, const std::string& name) {
    TRY(api::validateSecretName(name));
    std::lock_guard lock(mu_);
    if (::unlink(path(ns, name).c_str()) < 0) {
        if (errno == ENOENT) {
            return fail(Code::NotFound, "secret {} not found in namespace {}", name, ns);
        }
        return fail(systemError(fmt::format("removing secret {}", name), errno));
    }
    return {};
}

Result<std::vector<std::string>> SecretStore::list(const std::string& ns) const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(root_ / ns, ec)) {
        auto name = entry.path().filename().string();
        if (!name.starts_with(".") && entry.is_regular_file()) {
            out.push_back(name);
        }
    }
    std::sort(out.begin(), out.end());
    return out;
}

Result<std::string> SecretStore::read(const std::string& ns, const std::string& name) const {
    TRY(api::validateSecretName(name));
    if (!exists(ns, name)) {
        return fail(Code::NotFound, "secret {} not found in namespace {}", name, ns);
    }
    return readFile(path(ns, name));
}

bool SecretStore::exists(const std::string& ns, const std::string& name) const {
    std::error_code ec;
    return api::validateSecretName(name) && fs::is_regular_file(path(ns, name), ec);
}

void SecretStore::removeNamespace(const std::string& ns) {
    std::error_code ec;
    fs::remove_all(root_ / ns, ec);
}

Result<void> SecretStore::materialize(const std::string& ns, const std::vector<std::string>& names,
                                      const fs::path& dir, User user) const {
    TRY(makeOwnedDir(dir, 0500, user.uid, user.gid));
    for (const auto& name : names) {
        TRY_ASSIGN(auto bytes, read(ns, name));
        TRY(writeOwnedFile(dir / name, bytes, 0400, user.uid, user.gid));
    }
    return {};
}

} // namespace faasd::provider
