#include "network/netns.hpp"

#include "common/files.hpp"
#include "common/unique_fd.hpp"
#include "network/names.hpp"

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <system_error>
#include <thread>
#include <unistd.h>

namespace faasd::network {

Result<std::string> createNetns(const std::filesystem::path& dir, std::string_view name) {
    TRY(validateName("netns name", name));
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) {
        return fail(systemError(fmt::format("creating {}", dir.string()), ec.value()));
    }
    const std::string path = (dir / name).string();
    {
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0444));
        if (!fd) {
            if (errno == EEXIST) {
                return fail(Code::AlreadyExists, "netns {} already exists", path);
            }
            return fail(systemError(fmt::format("creating {}", path), errno));
        }
    }

    // The namespace is made in a thread of its own, which exits right after:
    // no thread of ours ever runs in it, and ours never leave the host's.
    int err = 0;
    const char* step = "";
    auto makeAndMount = [&] {
        if (::unshare(CLONE_NEWNET) != 0) {
            err = errno;
            step = "unshare(CLONE_NEWNET)";
            return;
        }
        auto self = fmt::format("/proc/self/task/{}/ns/net", ::gettid());
        if (::mount(self.c_str(), path.c_str(), "none", MS_BIND, nullptr) != 0) {
            err = errno;
            step = "bind-mounting the namespace";
        }
    };
    try {
        std::thread(makeAndMount).join();
    } catch (const std::system_error& e) {
        err = e.code().value();
        step = "starting a thread";
    }
    if (err != 0) {
        ::unlink(path.c_str());
        return fail(systemError(fmt::format("creating netns {}: {}", path, step), err));
    }
    return path;
}

Result<void> deleteNetns(const std::filesystem::path& path) {
    // Only a namespace mount is undone: a file whose mount is gone (or never
    // came) is just removed.
    struct statfs fs {};
    bool mounted = ::statfs(path.c_str(), &fs) == 0 && fs.f_type == NSFS_MAGIC;
    if (mounted && ::umount2(path.c_str(), MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT) {
        return fail(systemError(fmt::format("unmounting netns {}", path.string()), errno));
    }
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
        return fail(systemError(fmt::format("removing netns {}", path.string()), errno));
    }
    return {};
}

Result<std::vector<std::string>> listNetns(const std::filesystem::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) {
        if (ec == std::errc::no_such_file_or_directory) {
            return names;
        }
        return fail(systemError(fmt::format("listing {}", dir.string()), ec.value()));
    }
    for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
        if (ec) {
            return fail(systemError(fmt::format("listing {}", dir.string()), ec.value()));
        }
        names.push_back(it->path().filename().string());
    }
    std::sort(names.begin(), names.end());
    return names;
}

Result<void> checkNetns(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) {
            return fail(Code::NotFound, "network namespace {} does not exist", path.string());
        }
        return fail(systemError(fmt::format("opening network namespace {}", path.string()), errno));
    }
    int type = ::ioctl(fd.get(), NS_GET_NSTYPE);
    if (type < 0) {
        return fail(Code::InvalidArgument, "{} is not a network namespace", path.string());
    }
    if (type != CLONE_NEWNET) {
        return fail(Code::InvalidArgument, "{} is a namespace, but not a network namespace",
                    path.string());
    }
    return {};
}

bool isOwnNetns(const std::filesystem::path& path) {
    struct stat ours {
    }, theirs{};
    if (::stat("/proc/self/ns/net", &ours) != 0 || ::stat(path.c_str(), &theirs) != 0) {
        return false;
    }
    return ours.st_dev == theirs.st_dev && ours.st_ino == theirs.st_ino;
}

Result<void> enableIpForwarding(const std::filesystem::path& path) {
    TRY_ASSIGN(auto current, readFile(path));
    if (current.starts_with("1")) {
        return {};
    }
    // A sysctl file is written in place, not replaced.
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC));
    if (!fd || ::write(fd.get(), "1\n", 2) != 2) {
        return fail(systemError(fmt::format("enabling IP forwarding in {}", path.string()), errno));
    }
    return {};
}

} // namespace faasd::network
