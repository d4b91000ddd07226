#include "common/files.hpp"

#include "common/unique_fd.hpp"

#include <cerrno>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace faasd {

Result<std::string> readFile(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return fail(systemError(fmt::format("opening {}", path.string()), errno));
    }
    std::string content;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail(systemError(fmt::format("reading {}", path.string()), errno));
        }
        if (n == 0) {
            break;
        }
        content.append(buf, static_cast<size_t>(n));
    }
    return content;
}

Result<void> writeFileAtomic(const std::filesystem::path& path, std::string_view content,
                             mode_t mode) {
    std::string tmp = path.string() + ".tmp";
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));
    if (!fd) {
        return fail(systemError(fmt::format("creating {}", tmp), errno));
    }
    ::fchmod(fd.get(), mode); // the umask must not widen or narrow it
    size_t off = 0;
    while (off < content.size()) {
        ssize_t n = ::write(fd.get(), content.data() + off, content.size() - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            int err = errno;
            ::unlink(tmp.c_str());
            return fail(systemError(fmt::format("writing {}", tmp), err));
        }
        off += static_cast<size_t>(n);
    }
    if (::fsync(fd.get()) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        return fail(systemError(fmt::format("writing {}", path.string()), err));
    }
    return {};
}

Result<TempDir> TempDir::create(std::string_view prefix) {
    std::error_code ec;
    auto base = std::filesystem::temp_directory_path(ec);
    if (ec) {
        base = "/tmp";
    }
    std::string templ = (base / (std::string(prefix) + "XXXXXX")).string();
    if (::mkdtemp(templ.data()) == nullptr) {
        return fail(systemError(fmt::format("creating a directory like {}", templ), errno));
    }
    return TempDir(templ);
}

TempDir::~TempDir() {
    if (!path_.empty()) {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
}

std::string hostName() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') {
        return "localhost";
    }
    return name;
}

} // namespace faasd
