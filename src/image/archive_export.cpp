#include "common/scope_exit.hpp"
#include "image/archive.hpp"
#include "image/libarchive.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"

#include <memory>
#include <nlohmann/json.hpp>
#include <set>

namespace faasd::image {
namespace {

Result<void> writeHeader(struct archive* a, const std::string& path, int64_t size, bool directory) {
    ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), directory ? 0755 : 0644);
    archive_entry_set_size(entry.get(), directory ? 0 : size);
    archive_entry_set_mtime(entry.get(), 0, 0);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
        return fail(archiveError(a, fmt::format("writing the header of {}", path)));
    }
    return {};
}

Result<void> writeData(struct archive* a, std::string_view data, const std::string& path) {
    while (!data.empty()) {
        la_ssize_t n = archive_write_data(a, data.data(), data.size());
        if (n < 0) {
            return fail(archiveError(a, fmt::format("writing {}", path)));
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

Result<void> writeFile(struct archive* a, const std::string& path, std::string_view data) {
    TRY(writeHeader(a, path, static_cast<int64_t>(data.size()), false));
    return writeData(a, data, path);
}

// The blobs an image consists of: the target, and below it what the store
// holds of its manifests, configs and layers.
Result<std::vector<Descriptor>> imageBlobs(const containerd::Client& client,
                                           const Descriptor& target) {
    std::vector<Descriptor> out{target};
    std::vector<Descriptor> manifests;
    if (media::isIndex(target.mediaType)) {
        TRY_ASSIGN(auto json, client.content().readAll(target.digest));
        TRY_ASSIGN(auto index, parseIndex(json));
        for (const auto& e : index.manifests) {
            if (media::isManifest(e.descriptor.mediaType) &&
                client.content().info(e.descriptor.digest)) {
                manifests.push_back(e.descriptor);
                out.push_back(e.descriptor);
            }
        }
    } else if (media::isManifest(target.mediaType)) {
        manifests.push_back(target);
    } else {
        return fail(Code::InvalidArgument, "unsupported media type {}", target.mediaType);
    }
    for (const auto& m : manifests) {
        TRY_ASSIGN(auto json, client.content().readAll(m.digest));
        TRY_ASSIGN(auto manifest, parseManifest(json));
        out.push_back(manifest.config);
        for (const auto& l : manifest.layers) {
            out.push_back(l);
        }
    }
    return out;
}

std::string blobPathOf(const std::string& digest) {
    auto colon = digest.find(':');
    return fmt::format("blobs/{}/{}", digest.substr(0, colon), digest.substr(colon + 1));
}

} // namespace

Result<void> exportArchive(const containerd::Client& client, const std::string& name,
                           const std::filesystem::path& path) {
    const std::string what = fmt::format("exporting {} to {}", name, path.string());
    TRY_ASSIGN(auto record, withContext(client.images().get(name), what));
    TRY_ASSIGN(auto blobs, withContext(imageBlobs(client, record.target), what));

    Descriptor entry = record.target;
    entry.annotations[std::string(kAnnotationImageName)] = name;
    if (auto ref = parseReference(name); ref && !ref->tag.empty()) {
        entry.annotations[std::string(kAnnotationRefName)] = ref->tag;
    }
    nlohmann::json index = {{"schemaVersion", 2},
                            {"mediaType", media::kOciIndex},
                            {"manifests",
                             {{{"mediaType", entry.mediaType},
                               {"digest", entry.digest},
                               {"size", entry.size},
                               {"annotations", entry.annotations}}}}};

    const auto tmp = path.string() + ".partial";
    ArchiveWriter a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
        return fail(archiveError(a.get(), fmt::format("{}: creating {}", what, tmp)));
    }
    ScopeExit removeTmp([&] {
        std::error_code ec;
        std::filesystem::remove(tmp, ec);
    });
    TRY(withContext(writeFile(a.get(), "oci-layout", R"({"imageLayoutVersion":"1.0.0"})"), what));
    TRY(withContext(writeFile(a.get(), "index.json", index.dump()), what));
    TRY(withContext(writeHeader(a.get(), "blobs/", 0, true), what));
    std::set<std::string> dirs, written;
    for (const auto& blob : blobs) {
        if (!written.insert(blob.digest).second) {
            continue;
        }
        const std::string file = blobPathOf(blob.digest);
        const std::string dir = file.substr(0, file.rfind('/') + 1);
        if (dirs.insert(dir).second) {
            TRY(withContext(writeHeader(a.get(), dir, 0, true), what));
        }
        TRY(withContext(writeHeader(a.get(), file, blob.size, false), what));
        TRY(withContext(client.content().read(blob.digest,
                                              [&](std::string_view chunk) -> Result<void> {
                                                  return writeData(a.get(), chunk, file);
                                              }),
                        what));
    }
    if (archive_write_close(a.get()) != ARCHIVE_OK) {
        return fail(archiveError(a.get(), fmt::format("{}: closing {}", what, tmp)));
    }
    std::error_code ec;
    std::filesystem::rename(tmp, path, ec);
    if (ec) {
        return fail(Code::Internal, "{}: renaming {}: {}", what, tmp, ec.message());
    }
    removeTmp.release();
    return {};
}

} // namespace faasd::image
