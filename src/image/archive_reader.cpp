#include "image/archive_reader.hpp"

#include "common/random.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"
#include "image/digest.hpp"
#include "image/libarchive.hpp"
#include "image/registry_blob.hpp"

#include <fcntl.h>
#include <memory>
#include <unistd.h>
#include <vector>

namespace faasd::image {
namespace {

// The current entry's data; it can only go forward.
class EntrySource : public containerd::ByteSource {
public:
    explicit EntrySource(struct archive* a) : a_(a) {}
    Result<void> seek(int64_t offset) override {
        if (offset != pos_) {
            return fail(Code::Unimplemented, "an archive entry cannot seek to {}", offset);
        }
        return {};
    }
    Result<size_t> read(std::span<char> buf) override {
        la_ssize_t n = archive_read_data(a_, buf.data(), buf.size());
        if (n < 0) {
            return fail(archiveError(a_, "reading the archive", Code::InvalidArgument));
        }
        pos_ += n;
        return static_cast<size_t>(n);
    }

private:
    struct archive* a_;
    int64_t pos_ = 0;
};

bool endsWith(std::string_view s, std::string_view suffix) {
    return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

struct Reader {
    const containerd::Client& client;
    std::filesystem::path spool;
    ArchiveContents& out;

    Result<void> storeEntry(struct archive* a, const std::string& digest, int64_t size) {
        if (client.content().info(digest)) {
            return {}; // archive_read_next_header skips the data
        }
        EntrySource source(a);
        const std::string ref = fmt::format("faasd-import-{}-{}", randomHex(4), digest);
        auto written = client.content().write({.ref = ref, .digest = digest, .size = size}, source);
        if (!written) {
            (void)client.content().abort(ref);
        }
        return written;
    }

    // A file whose digest is not in its name: spooled while hashed, then stored.
    Result<Descriptor> storeUnnamed(struct archive* a, const std::string& path) {
        auto file = spool / "entry";
        ScopeExit removeFile([&] {
            std::error_code ec;
            std::filesystem::remove(file, ec);
        });
        UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
        if (!fd) {
            return fail(systemError(fmt::format("creating {}", file.string()), errno));
        }
        Sha256 hash;
        int64_t size = 0;
        std::vector<char> buf(1 << 20);
        for (;;) {
            la_ssize_t n = archive_read_data(a, buf.data(), buf.size());
            if (n < 0) {
                return fail(
                    archiveError(a, fmt::format("reading {}", path), Code::InvalidArgument));
            }
            if (n == 0) {
                break;
            }
            hash.update(std::string_view(buf.data(), static_cast<size_t>(n)));
            size += n;
            if (::write(fd.get(), buf.data(), static_cast<size_t>(n)) != n) {
                return fail(systemError(fmt::format("writing {}", file.string()), errno));
            }
        }
        fd.reset();
        Descriptor blob{std::string(kDockerLayerTar), hash.digest(), size, {}};
        TRY(storeFile(client, blob, file));
        return blob;
    }

    Result<void> readEntries(const std::filesystem::path& path) {
        ArchiveReader a(archive_read_new());
        archive_read_support_filter_all(a.get());
        archive_read_support_format_tar(a.get());
        if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK) {
            return fail(archiveError(a.get(), "opening the archive", Code::InvalidArgument));
        }
        struct archive_entry* entry = nullptr;
        for (;;) {
            int rc = archive_read_next_header(a.get(), &entry);
            if (rc == ARCHIVE_EOF) {
                break;
            }
            if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
                return fail(archiveError(a.get(), "reading the archive", Code::InvalidArgument));
            }
            if (archive_entry_filetype(entry) != AE_IFREG) {
                continue;
            }
            std::string name = archive_entry_pathname(entry);
            while (name.rfind("./", 0) == 0) {
                name.erase(0, 2);
            }
            const int64_t size = archive_entry_size(entry);
            if (name.rfind("blobs/sha256/", 0) == 0) {
                const std::string digest = "sha256:" + name.substr(13);
                TRY(withContext(validateDigest(digest), name));
                TRY(withContext(storeEntry(a.get(), digest, size), name));
                out.blobs[name] = Descriptor{"", digest, size, {}};
            } else if (endsWith(name, ".json") || name == "oci-layout") {
                if (size > kMaxArchiveMetadata) {
                    return fail(Code::InvalidArgument, "{} is {} bytes: too large", name, size);
                }
                std::string text(static_cast<size_t>(size), '\0');
                if (archive_read_data(a.get(), text.data(), text.size()) != size) {
                    return fail(archiveError(a.get(), fmt::format("reading {}", name),
                                             Code::InvalidArgument));
                }
                out.metadata[name] = std::move(text);
            } else if (endsWith(name, ".tar")) {
                TRY_ASSIGN(out.blobs[name], withContext(storeUnnamed(a.get(), name), name));
            }
        }
        return {};
    }
};

} // namespace

Result<ArchiveContents> readArchive(const containerd::Client& client,
                                    const std::filesystem::path& path,
                                    const std::filesystem::path& spool) {
    ArchiveContents out;
    Reader reader{client, spool, out};
    TRY(reader.readEntries(path));
    return out;
}

} // namespace faasd::image
