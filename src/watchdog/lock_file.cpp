#include "watchdog/lock_file.hpp"

#include "common/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace faasd::watchdog {

Result<void> writeLockFile(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) {
        std::string dir = path.substr(0, slash);
        // mkdir -p: a FROM scratch image may have no /tmp.
        for (size_t i = 1; i <= dir.size(); ++i) {
            if (i == dir.size() || dir[i] == '/') {
                std::string part = dir.substr(0, i);
                if (::mkdir(part.c_str(), 01777) != 0 && errno != EEXIST) {
                    return fail(systemError("creating " + part, errno));
                }
            }
        }
    }
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0660));
    if (!fd) {
        return fail(systemError("writing lock file " + path, errno));
    }
    return {};
}

void removeLockFile(const std::string& path) {
    ::unlink(path.c_str());
}

bool lockFilePresent(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

} // namespace faasd::watchdog
