// Where templates come from: a git clone, a tarball unpacked with bounds
// and its links checked, or a folder.

#include "build/template_fetch.hpp"

#include "build/template.hpp"
#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "common/unique_fd.hpp"
#include "image/libarchive.hpp"

#include <fcntl.h>
#include <unistd.h>

namespace faasd::build {
namespace fs = std::filesystem;

namespace {

// A tarball is templates, not a disk image: bounds on what it may unpack to.
constexpr int64_t kMaxTarballBytes = int64_t{512} << 20;
constexpr size_t kMaxTarballEntries = 100000;

// An archive member's path as a relative path without "." parts; refused
// when absolute or climbing with "..".
Result<fs::path> memberPath(std::string_view name) {
    fs::path in{std::string(name)};
    if (in.is_absolute()) {
        return fail(Code::InvalidArgument, "{}: absolute path in the tarball", name);
    }
    fs::path out;
    for (const auto& part : in) {
        if (part == "..") {
            return fail(Code::InvalidArgument, "{}: \"..\" in the tarball", name);
        }
        if (part != "." && !part.empty()) {
            out /= part;
        }
    }
    return out;
}

// Unpacks a tar (optionally compressed) into dest, which must be empty.
// Regular files and folders are written as they come, with no link in
// place yet to write through; hard links become copies and symbolic links
// are made last, each checked to stay inside dest.
Result<void> extractTarball(const fs::path& file, const fs::path& dest) {
    image::ArchiveReader reader(archive_read_new());
    if (!reader) {
        return fail(Code::Internal, "reading {}: out of memory", file.string());
    }
    archive_read_support_filter_all(reader.get());
    archive_read_support_format_tar(reader.get());
    if (archive_read_open_filename(reader.get(), file.c_str(), 64 << 10) != ARCHIVE_OK) {
        return fail(Code::InvalidArgument, "reading {}: {}", file.string(),
                    archive_error_string(reader.get()));
    }
    std::vector<std::pair<fs::path, fs::path>> hardLinks, symLinks;
    int64_t total = 0;
    size_t entries = 0;
    archive_entry* entry = nullptr;
    for (;;) {
        int rc = archive_read_next_header(reader.get(), &entry);
        if (rc == ARCHIVE_EOF) {
            break;
        }
        if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
            return fail(Code::InvalidArgument, "reading {}: {}", file.string(),
                        archive_error_string(reader.get()));
        }
        if (++entries > kMaxTarballEntries) {
            return fail(Code::ResourceExhausted, "{}: more than {} entries", file.string(),
                        kMaxTarballEntries);
        }
        const char* rawName = archive_entry_pathname(entry);
        TRY_ASSIGN(auto rel, memberPath(rawName ? rawName : ""));
        if (rel.empty()) {
            continue;
        }
        const fs::path out = dest / rel;
        std::error_code ec;
        if (const char* link = archive_entry_hardlink(entry)) {
            TRY_ASSIGN(auto target, memberPath(link));
            hardLinks.emplace_back(out, dest / target);
            continue;
        }
        switch (archive_entry_filetype(entry)) {
        case AE_IFDIR:
            fs::create_directories(out, ec);
            break;
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(entry);
            symLinks.emplace_back(out, fs::path(target ? target : ""));
            break;
        }
        case AE_IFREG: {
            fs::create_directories(out.parent_path(), ec);
            if (ec) {
                break;
            }
            const mode_t mode = archive_entry_perm(entry) & 0777;
            UniqueFd fd(::open(out.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                               mode | 0600));
            if (!fd) {
                return fail(
                    systemError(fmt::format("{}: writing {}", file.string(), rel.string()), errno));
            }
            char buf[65536];
            for (;;) {
                la_ssize_t n = archive_read_data(reader.get(), buf, sizeof buf);
                if (n < 0) {
                    return fail(Code::InvalidArgument, "reading {}: {}: {}", file.string(),
                                rel.string(), archive_error_string(reader.get()));
                }
                if (n == 0) {
                    break;
                }
                total += n;
                if (total > kMaxTarballBytes) {
                    return fail(Code::ResourceExhausted, "{}: unpacks to more than {} MiB",
                                file.string(), kMaxTarballBytes >> 20);
                }
                for (la_ssize_t off = 0; off < n;) {
                    ssize_t w = ::write(fd.get(), buf + off, static_cast<size_t>(n - off));
                    if (w < 0 && errno == EINTR) {
                        continue;
                    }
                    if (w < 0) {
                        return fail(systemError(fmt::format("writing {}", out.string()), errno));
                    }
                    off += w;
                }
            }
            ::fchmod(fd.get(), mode);
            break;
        }
        default:
            return fail(Code::InvalidArgument, "{}: {}: not a file, folder or link", file.string(),
                        rel.string());
        }
        if (ec) {
            return fail(Code::Internal, "{}: unpacking {}: {}", file.string(), rel.string(),
                        ec.message());
        }
    }

    std::error_code ec;
    for (const auto& [out, target] : hardLinks) {
        if (!fs::is_regular_file(fs::symlink_status(target, ec))) {
            return fail(Code::InvalidArgument, "{}: {}: a hard link to something not unpacked",
                        file.string(), out.lexically_relative(dest).string());
        }
        fs::create_directories(out.parent_path(), ec);
        fs::copy_file(target, out, ec);
        if (ec) {
            return fail(Code::Internal, "{}: {}: {}", file.string(),
                        out.lexically_relative(dest).string(), ec.message());
        }
    }
    const fs::path base = fs::canonical(dest, ec);
    for (const auto& [out, target] : symLinks) {
        const fs::path rel = out.lexically_relative(dest);
        if (target.empty() || target.is_absolute()) {
            return fail(Code::InvalidArgument, "{}: {}: a link to an absolute path", file.string(),
                        rel.string());
        }
        fs::create_directories(out.parent_path(), ec);
        fs::create_symlink(target, out, ec);
        if (ec) {
            return fail(Code::InvalidArgument, "{}: {}: {}", file.string(), rel.string(),
                        ec.message());
        }
        std::error_code resolveEc;
        if (!within(fs::weakly_canonical(out, resolveEc), base) || resolveEc) {
            return fail(Code::InvalidArgument, "{}: {}: the link to {} leaves the tarball",
                        file.string(), rel.string(), target.string());
        }
    }
    return {};
}

Result<void> gitClone(const std::string& url, const std::string& ref, const fs::path& dest,
                      std::chrono::milliseconds timeout) {
    if (!isExecutable("git")) {
        return fail(Code::FailedPrecondition, "git is not installed (needed to clone {})", url);
    }
    SubprocessOptions options;
    options.argv = {"git", "clone", "--quiet", "--depth", "1"};
    if (!ref.empty()) {
        options.argv.insert(options.argv.end(), {"--branch", ref});
    }
    options.argv.insert(options.argv.end(), {"--", url, dest.string()});
    options.env = environmentWith("GIT_TERMINAL_PROMPT", "0");
    options.newSession = true; // no terminal to ask for a password on
    auto run = faasd::run(options, "", timeout);
    if (!run) {
        return fail(run.error().context(fmt::format("git clone {}", url)));
    }
    if (run->status != 0) {
        std::string err = run->err;
        while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) {
            err.pop_back();
        }
        return fail(Code::Unavailable, "git clone {} failed (exit {}): {}", url, run->status, err);
    }
    return {};
}

bool looksLikeGitUrl(std::string_view s) {
    for (std::string_view scheme : {"http://", "https://", "ssh://", "git://", "file://", "git@"}) {
        if (s.starts_with(scheme)) {
            return true;
        }
    }
    return s.ends_with(".git") || s.ends_with(".git/");
}

bool isTarballName(std::string_view s) {
    return s.ends_with(".tar") || s.ends_with(".tar.gz") || s.ends_with(".tgz");
}

} // namespace

Result<FetchedTemplates> fetchTemplateSource(const PullOptions& options) {
    FetchedTemplates out;
    const std::string& source = options.source;
    if (source.empty()) {
        TRY_ASSIGN(out.root, findTemplatesDir(options.templatesDir));
        out.label = fmt::format("{} {}", kInstalledOrigin, out.root.string());
        return out;
    }
    std::string base = source;
    std::string ref;
    if (auto hash = source.rfind('#');
        hash != std::string::npos && looksLikeGitUrl(source.substr(0, hash))) {
        base = source.substr(0, hash);
        ref = source.substr(hash + 1);
    }
    if (looksLikeGitUrl(base)) {
        if ((base.starts_with("http://") || base.starts_with("https://")) && isTarballName(base)) {
            return fail(Code::InvalidArgument,
                        "{}: download the tarball first and pull from the file", source);
        }
        TRY_ASSIGN(auto temp, TempDir::create("faasd-template-pull-"));
        out.root = temp.path() / "repo";
        TRY(gitClone(base, ref, out.root, options.gitTimeout));
        out.temp.emplace(std::move(temp));
        out.label = source;
        return out;
    }
    std::error_code ec;
    const fs::path path = fs::absolute(source, ec).lexically_normal();
    const auto status = fs::status(path, ec);
    out.label = path.string();
    if (fs::is_directory(status)) {
        out.root = path;
        return out;
    }
    if (fs::is_regular_file(status) && isTarballName(source)) {
        TRY_ASSIGN(auto temp, TempDir::create("faasd-template-pull-"));
        out.root = temp.path() / "unpacked";
        fs::create_directory(out.root, ec);
        TRY(extractTarball(path, out.root));
        out.temp.emplace(std::move(temp));
        return out;
    }
    if (fs::exists(status)) {
        return fail(Code::InvalidArgument,
                    "{} is not a folder, a git URL or a .tar, .tar.gz or .tgz file", source);
    }
    return fail(Code::NotFound, "{} does not exist (and is not a git URL)", source);
}

} // namespace faasd::build
