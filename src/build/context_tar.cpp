#include "build/context_tar.hpp"

#include "common/unique_fd.hpp"
#include "image/reference.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <array>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <sys/stat.h>
#include <unistd.h>

namespace faasd::build {
namespace {

namespace fs = std::filesystem;
using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

constexpr int64_t kMaxConfigBytes = 1 << 20;

template <typename... Args> Error bad(fmt::format_string<Args...> format, Args&&... args) {
    return Error(Code::InvalidArgument, fmt::format(format, std::forward<Args>(args)...));
}

Error archiveError(struct archive* a, std::string_view what) {
    const char* msg = archive_error_string(a);
    return bad("{}: {}", what, msg != nullptr ? msg : "not a tar");
}

// A path's components without "." and empty ones; absolute paths and ".."
// are refused. what names the path in errors.
Result<std::vector<std::string>> components(std::string_view path, std::string_view what) {
    if (!path.empty() && path.front() == '/') {
        return fail(bad("{}: an absolute path", what));
    }
    std::vector<std::string> parts;
    while (!path.empty()) {
        const size_t slash = path.find('/');
        std::string_view part = path.substr(0, slash);
        path = slash == std::string_view::npos ? std::string_view{} : path.substr(slash + 1);
        if (part.empty() || part == ".") {
            continue;
        }
        if (part == "..") {
            return fail(bad("{}: a path with \"..\"", what));
        }
        parts.emplace_back(part);
    }
    return parts;
}

// A symlink at parts (["context", ..., name]) pointing at target stays
// inside context/: relative, ".." only at the start and no more of them
// than the link's folder is deep below context/. With ".." nowhere else,
// no chain of links can climb out either: each resolves inside context/.
Result<void> checkSymlinkTarget(const std::vector<std::string>& parts, std::string_view target,
                                std::string_view name) {
    if (target.empty()) {
        return fail(bad("{}: a symlink without a target", name));
    }
    if (target.front() == '/') {
        return fail(bad("{}: a symlink to an absolute path ({}) leaves context/", name, target));
    }
    const size_t depth = parts.size() - 2; // folders between context/ and the link
    size_t ups = 0;
    bool leading = true;
    std::string_view rest = target;
    while (!rest.empty()) {
        const size_t slash = rest.find('/');
        std::string_view part = rest.substr(0, slash);
        rest = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
        if (part.empty() || part == ".") {
            continue;
        }
        if (part != "..") {
            leading = false;
        } else if (!leading) {
            return fail(bad("{}: a symlink target with \"..\" after its start ({})", name, target));
        } else if (++ups > depth) {
            return fail(bad("{}: a symlink to {} leaves context/", name, target));
        }
    }
    return {};
}

std::string_view kindOf(mode_t type) {
    switch (type) {
    case AE_IFCHR:
        return "character device";
    case AE_IFBLK:
        return "block device";
    case AE_IFIFO:
        return "fifo";
    case AE_IFSOCK:
        return "socket";
    default:
        return "special file";
    }
}

class Extractor {
public:
    Extractor(struct archive* a, UniqueFd root, uint64_t maxBytes)
        : a_(a), root_(std::move(root)), maxBytes_(maxBytes) {}

    Result<void> entry(struct archive_entry* e) {
        const char* rawName = archive_entry_pathname(e);
        if (rawName == nullptr) {
            return fail(bad("an entry without a name"));
        }
        const std::string name = rawName;
        TRY_ASSIGN(auto parts, components(name, name));
        const char* hardlink = archive_entry_hardlink(e);
        const mode_t type = archive_entry_filetype(e);
        if (parts.empty()) { // "." or "./": the tar's own root
            if (hardlink != nullptr || type != AE_IFDIR) {
                return fail(bad("{}: the tar's root is not a folder", name));
            }
            return {};
        }
        if (parts.size() == 1 && parts[0] == kBuilderConfigFile) {
            return config(e, name, hardlink == nullptr && type == AE_IFREG);
        }
        if (parts[0] != kBuilderContextDir) {
            return fail(bad("{}: outside context/ (the tar holds context/ and {} only)", name,
                            kBuilderConfigFile));
        }
        if (parts.size() == 1) {
            if (hardlink != nullptr || type != AE_IFDIR) {
                return fail(bad("{}: context is not a folder", name));
            }
            TRY(openDir(parts, 1, name));
            return {};
        }
        ++entries_;
        if (hardlink != nullptr) {
            return link(parts, hardlink, name);
        }
        switch (type) {
        case AE_IFDIR: {
            TRY_ASSIGN(auto fd, openDir(parts, parts.size(), name));
            ::fchmod(fd.get(), (archive_entry_perm(e) & 0777) | 0700);
            return {};
        }
        case AE_IFREG:
            return file(e, parts, name);
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(e);
            TRY(checkSymlinkTarget(parts, target != nullptr ? target : "", name));
            TRY_ASSIGN(auto parent, openDir(parts, parts.size() - 1, name));
            if (::symlinkat(target, parent.get(), parts.back().c_str()) != 0) {
                return fail(created(errno, name));
            }
            return {};
        }
        default:
            return fail(
                bad("{}: a {}; only files, folders and links are allowed", name, kindOf(type)));
        }
    }

    Result<ExtractedContext> finish(const fs::path& dir) {
        if (!configText_) {
            return fail(bad("the tar has no {}", kBuilderConfigFile));
        }
        if (!contextMade_) {
            return fail(bad("the tar has no context/ folder"));
        }
        ExtractedContext out;
        TRY_ASSIGN(out.config, parseBuilderConfig(*configText_));
        out.context = dir / kBuilderContextDir;
        out.entries = entries_;
        out.bytes = bytes_;
        return out;
    }

private:
    Error created(int err, std::string_view name) {
        if (err == EEXIST) {
            return bad("{}: in the tar twice", name);
        }
        return Error(Code::Internal, fmt::format("{}: {}", name, std::strerror(err)));
    }

    // The folder parts[0..count) below the root, made when absent. Never
    // follows a symlink: a path through one is refused.
    Result<UniqueFd> openDir(const std::vector<std::string>& parts, size_t count,
                             std::string_view name) {
        UniqueFd dir(::dup(root_.get()));
        if (!dir) {
            return fail(systemError("dup", errno));
        }
        for (size_t i = 0; i < count; ++i) {
            const char* part = parts[i].c_str();
            constexpr int kFlags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
            UniqueFd next(::openat(dir.get(), part, kFlags));
            if (!next && errno == ENOENT) {
                // A folder the tar did not list: as a build folder has it.
                if (::mkdirat(dir.get(), part, 0755) != 0) {
                    return fail(systemError(fmt::format("{}: creating a folder", name), errno));
                }
                next.reset(::openat(dir.get(), part, kFlags));
                if (next) {
                    ::fchmod(next.get(), 0755); // whatever the umask
                }
            }
            if (!next) {
                if (errno == ENOTDIR || errno == ELOOP) {
                    return fail(bad("{}: goes through {}, which is not a folder", name, parts[i]));
                }
                return fail(systemError(fmt::format("{}: opening {}", name, parts[i]), errno));
            }
            dir = std::move(next);
            if (i == 0) {
                contextMade_ = true;
            }
        }
        return dir;
    }

    // Reads the current entry's data into out (a file) or into text,
    // counting every byte against the limit.
    Result<void> copyData(int out, std::string* text, std::string_view name) {
        std::array<char, 64 * 1024> buf;
        for (;;) {
            la_ssize_t n = archive_read_data(a_, buf.data(), buf.size());
            if (n < 0) {
                return fail(archiveError(a_, fmt::format("reading {}", name)));
            }
            if (n == 0) {
                return {};
            }
            bytes_ += static_cast<uint64_t>(n);
            if (bytes_ > maxBytes_) {
                return fail(bad("the context unpacks to more than {} bytes", maxBytes_));
            }
            if (text != nullptr) {
                text->append(buf.data(), static_cast<size_t>(n));
                continue;
            }
            for (la_ssize_t done = 0; done < n;) {
                ssize_t w = ::write(out, buf.data() + done, static_cast<size_t>(n - done));
                if (w < 0 && errno == EINTR) {
                    continue;
                }
                if (w <= 0) {
                    return fail(systemError(fmt::format("writing {}", name), errno));
                }
                done += w;
            }
        }
    }

    Result<void> checkDeclaredSize(struct archive_entry* e, std::string_view name) {
        if (archive_entry_size_is_set(e) != 0 && archive_entry_size(e) > 0 &&
            bytes_ + static_cast<uint64_t>(archive_entry_size(e)) > maxBytes_) {
            return fail(bad("the context unpacks to more than {} bytes ({} is {} bytes)", maxBytes_,
                            name, archive_entry_size(e)));
        }
        return {};
    }

    Result<void> config(struct archive_entry* e, const std::string& name, bool regular) {
        if (!regular) {
            return fail(bad("{} is not a regular file", kBuilderConfigFile));
        }
        if (configText_) {
            return fail(bad("{}: in the tar twice", name));
        }
        if (archive_entry_size(e) > kMaxConfigBytes) {
            return fail(
                bad("{} is {} bytes: too large", kBuilderConfigFile, archive_entry_size(e)));
        }
        TRY(checkDeclaredSize(e, name));
        std::string text;
        TRY(copyData(-1, &text, name));
        configText_ = std::move(text);
        return {};
    }

    Result<void> file(struct archive_entry* e, const std::vector<std::string>& parts,
                      const std::string& name) {
        TRY(checkDeclaredSize(e, name));
        TRY_ASSIGN(auto parent, openDir(parts, parts.size() - 1, name));
        UniqueFd fd(::openat(parent.get(), parts.back().c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
        if (!fd) {
            return fail(created(errno, name));
        }
        TRY(copyData(fd.get(), nullptr, name));
        if (::fchmod(fd.get(), archive_entry_perm(e) & 0777) != 0) {
            return fail(systemError(fmt::format("{}: setting its mode", name), errno));
        }
        return {};
    }

    // A hard link to an earlier regular file inside context/.
    Result<void> link(const std::vector<std::string>& parts, std::string_view target,
                      const std::string& name) {
        TRY_ASSIGN(auto to, components(target, fmt::format("{}: the link's target", name)));
        if (to.size() < 2 || to[0] != kBuilderContextDir) {
            return fail(bad("{}: a hard link to {} leaves context/", name, target));
        }
        TRY_ASSIGN(auto toParent, openDir(to, to.size() - 1, name));
        struct stat st {};
        if (::fstatat(toParent.get(), to.back().c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISREG(st.st_mode)) {
            return fail(bad("{}: a hard link to {}, which is not an earlier file", name, target));
        }
        TRY_ASSIGN(auto parent, openDir(parts, parts.size() - 1, name));
        if (::linkat(toParent.get(), to.back().c_str(), parent.get(), parts.back().c_str(), 0) !=
            0) {
            return fail(created(errno, name));
        }
        return {};
    }

    struct archive* a_;
    UniqueFd root_;
    uint64_t maxBytes_;
    uint64_t bytes_ = 0;
    uint64_t entries_ = 0;
    bool contextMade_ = false;
    std::optional<std::string> configText_;
};

// Removes everything in dir, leaving dir.
void empty(const fs::path& dir) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code ignored;
        fs::remove_all(it->path(), ignored);
    }
}

Result<ExtractedContext> extract(std::string_view tar, const fs::path& dir, uint64_t maxBytes) {
    UniqueFd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!root) {
        return fail(systemError(fmt::format("opening {}", dir.string()), errno));
    }
    ArchivePtr a(archive_read_new(), &archive_read_free);
    archive_read_support_format_tar(a.get());
    if (archive_read_open_memory(a.get(), tar.data(), tar.size()) != ARCHIVE_OK) {
        return fail(archiveError(a.get(), "not a tar"));
    }
    Extractor extractor(a.get(), std::move(root), maxBytes);
    struct archive_entry* entry = nullptr;
    for (;;) {
        const int rc = archive_read_next_header(a.get(), &entry);
        if (rc == ARCHIVE_EOF) {
            break;
        }
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            return fail(archiveError(a.get(), "not a tar"));
        }
        TRY(extractor.entry(entry));
    }
    return extractor.finish(dir);
}

} // namespace

Result<BuilderConfig> parseBuilderConfig(std::string_view text) {
    const std::string file(kBuilderConfigFile);
    auto j = nlohmann::json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return fail(bad("{} is not a JSON object", file));
    }
    BuilderConfig c;
    auto image = j.find("image");
    if (image == j.end() || !image->is_string() || image->get<std::string>().empty()) {
        return fail(bad("{}: \"image\" is required", file));
    }
    c.image = image->get<std::string>();
    TRY(withContext(image::parseReference(c.image), file + ": image"));
    if (auto args = j.find("buildArgs"); args != j.end() && !args->is_null()) {
        if (!args->is_object()) {
            return fail(bad("{}: \"buildArgs\" must be an object of strings", file));
        }
        for (const auto& [key, value] : args->items()) {
            if (key.empty() || key.find_first_of("=\0", 0, 2) != std::string::npos ||
                !value.is_string()) {
                return fail(
                    bad("{}: buildArgs.{}: want a name without '=' and a string", file, key));
            }
            c.buildArgs[key] = value.get<std::string>();
        }
    }
    if (auto platforms = j.find("platforms"); platforms != j.end() && !platforms->is_null()) {
        if (!platforms->is_array()) {
            return fail(bad("{}: \"platforms\" must be a list of strings", file));
        }
        for (const auto& p : *platforms) {
            if (!p.is_string()) {
                return fail(bad("{}: \"platforms\" must be a list of strings", file));
            }
            c.platforms.push_back(p.get<std::string>());
        }
    }
    if (auto skip = j.find("skipPush"); skip != j.end() && !skip->is_null()) {
        if (!skip->is_boolean()) {
            return fail(bad("{}: \"skipPush\" must be true or false", file));
        }
        c.skipPush = skip->get<bool>();
    }
    return c;
}

Result<ExtractedContext> extractContextTar(std::string_view tar, const fs::path& dir,
                                           uint64_t maxBytes) {
    auto out = extract(tar, dir, maxBytes);
    if (!out) {
        empty(dir);
    }
    return out;
}

} // namespace faasd::build
