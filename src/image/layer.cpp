#include "image/layer.hpp"

#include "common/files.hpp"
#include "image/digest.hpp"
#include "image/libarchive.hpp"
#include "image/oci.hpp"

#include <memory>
#include <set>
#include <sys/stat.h>

namespace faasd::image {
namespace {

la_ssize_t appendToString(struct archive*, void* out, const void* buf, size_t len) {
    static_cast<std::string*>(out)->append(static_cast<const char*>(buf), len);
    return static_cast<la_ssize_t>(len);
}

std::string normalise(std::string path) {
    while (!path.empty() && path.front() == '/') {
        path.erase(0, 1);
    }
    while (!path.empty() && path.back() == '/') {
        path.pop_back();
    }
    return path;
}

} // namespace

containerd::Descriptor Layer::descriptor() const {
    return containerd::Descriptor{
        std::string(media::kOciLayerGzip), digest, static_cast<int64_t>(blob.size()), {}};
}

void LayerBuilder::push(Entry entry) {
    paths_.insert(entry.path);
    entries_.push_back(std::move(entry));
}

bool LayerBuilder::has(std::string_view path) const {
    return paths_.count(normalise(std::string(path))) != 0;
}

void LayerBuilder::ensureParents(const std::string& path) {
    size_t pos = 0;
    while ((pos = path.find('/', pos)) != std::string::npos) {
        std::string dir = path.substr(0, pos);
        if (!dir.empty() && !paths_.count(dir)) {
            push({dir, Entry::Kind::Directory, "", 0755, 0, 0});
        }
        ++pos;
    }
}

LayerBuilder& LayerBuilder::addFile(std::string path, std::string content, mode_t mode, uid_t uid,
                                    gid_t gid) {
    path = normalise(std::move(path));
    ensureParents(path);
    push({path, Entry::Kind::File, std::move(content), mode, uid, gid});
    return *this;
}

Result<void> LayerBuilder::addHostFile(std::string path, const std::filesystem::path& host) {
    struct stat st {};
    if (::stat(host.c_str(), &st) != 0) {
        return fail(systemError(fmt::format("adding {} to a layer", host.string()), errno));
    }
    TRY_ASSIGN(auto content, readFile(host));
    addFile(std::move(path), std::move(content), st.st_mode & 07777);
    return {};
}

LayerBuilder& LayerBuilder::addDirectory(std::string path, mode_t mode, uid_t uid, gid_t gid) {
    path = normalise(std::move(path));
    ensureParents(path);
    push({path, Entry::Kind::Directory, "", mode, uid, gid});
    return *this;
}

LayerBuilder& LayerBuilder::addSymlink(std::string path, std::string target) {
    path = normalise(std::move(path));
    ensureParents(path);
    push({path, Entry::Kind::Symlink, std::move(target), 0777, 0, 0});
    return *this;
}

Result<Layer> LayerBuilder::build() const {
    std::string tar;
    {
        ArchiveWriter a(archive_write_new());
        archive_write_set_format_pax_restricted(a.get());
        archive_write_set_bytes_in_last_block(a.get(), 1);
        if (archive_write_open2(a.get(), &tar, nullptr, appendToString, nullptr, nullptr) !=
            ARCHIVE_OK) {
            return fail(archiveError(a.get(), "building a layer"));
        }
        for (const auto& e : entries_) {
            ArchiveEntry entry(archive_entry_new());
            archive_entry_set_pathname(entry.get(), e.path.c_str());
            archive_entry_set_uid(entry.get(), e.uid);
            archive_entry_set_gid(entry.get(), e.gid);
            archive_entry_set_mtime(entry.get(), 0, 0); // reproducible layers
            switch (e.kind) {
            case Entry::Kind::File:
                archive_entry_set_filetype(entry.get(), AE_IFREG);
                archive_entry_set_perm(entry.get(), e.mode);
                archive_entry_set_size(entry.get(), static_cast<la_int64_t>(e.content.size()));
                break;
            case Entry::Kind::Directory:
                archive_entry_set_filetype(entry.get(), AE_IFDIR);
                archive_entry_set_perm(entry.get(), e.mode);
                break;
            case Entry::Kind::Symlink:
                archive_entry_set_filetype(entry.get(), AE_IFLNK);
                archive_entry_set_perm(entry.get(), 0777);
                archive_entry_set_symlink(entry.get(), e.content.c_str());
                break;
            }
            if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK) {
                return fail(archiveError(a.get(), fmt::format("adding {} to a layer", e.path)));
            }
            if (e.kind == Entry::Kind::File && !e.content.empty() &&
                archive_write_data(a.get(), e.content.data(), e.content.size()) < 0) {
                return fail(archiveError(a.get(), fmt::format("writing {} to a layer", e.path)));
            }
        }
        if (archive_write_close(a.get()) != ARCHIVE_OK) {
            return fail(archiveError(a.get(), "finishing a layer"));
        }
    }
    TRY_ASSIGN(auto blob, gzip(tar));
    Layer layer;
    layer.diffId = sha256Digest(tar);
    layer.digest = sha256Digest(blob);
    layer.blob = std::move(blob);
    return layer;
}

Result<std::string> gzip(std::string_view data) {
    std::string out;
    ArchiveWriter a(archive_write_new());
    archive_write_set_format_raw(a.get());
    archive_write_add_filter_gzip(a.get());
    archive_write_set_filter_option(a.get(), "gzip", "timestamp", nullptr); // no mtime
    archive_write_set_bytes_in_last_block(a.get(), 1);
    if (archive_write_open2(a.get(), &out, nullptr, appendToString, nullptr, nullptr) !=
        ARCHIVE_OK) {
        return fail(archiveError(a.get(), "compressing"));
    }
    ArchiveEntry entry(archive_entry_new());
    archive_entry_set_filetype(entry.get(), AE_IFREG);
    archive_entry_set_size(entry.get(), static_cast<la_int64_t>(data.size()));
    if (archive_write_header(a.get(), entry.get()) != ARCHIVE_OK ||
        archive_write_data(a.get(), data.data(), data.size()) < 0 ||
        archive_write_close(a.get()) != ARCHIVE_OK) {
        return fail(archiveError(a.get(), "compressing"));
    }
    return out;
}

} // namespace faasd::image
