#include "common/files.hpp"
#include "common/random.hpp"
#include "common/scope_exit.hpp"
#include "common/unique_fd.hpp"
#include "image/archive.hpp"
#include "image/digest.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"
#include "image/registry_blob.hpp"
#include "image/store.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

#include <map>
#include <memory>

namespace faasd::image {
namespace {

using ArchivePtr = std::unique_ptr<struct archive, decltype(&archive_read_free)>;

constexpr int64_t kMaxMetadata = 8 << 20;
constexpr std::string_view kDockerLayer = "application/vnd.docker.image.rootfs.diff.tar";

Error archiveError(struct archive* a, std::string_view what) {
    const char* msg = archive_error_string(a);
    return Error(Code::InvalidArgument, fmt::format("{}: {}", what, msg ? msg : "unknown error"));
}

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
            return fail(archiveError(a_, "reading the archive"));
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

struct Importer {
    const containerd::Client& client;  // bound to the import's lease
    std::filesystem::path spool;
    std::map<std::string, Descriptor> blobs;      // archive path -> stored blob
    std::map<std::string, std::string> metadata;  // small JSON files by path

    Result<void> storeEntry(struct archive* a, const std::string& digest, int64_t size) {
        if (client.content().info(digest)) {
            return {};  // archive_read_next_header skips the data
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
                return fail(archiveError(a, fmt::format("reading {}", path)));
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
        Descriptor blob{std::string(kDockerLayer), hash.digest(), size, {}};
        TRY(storeFile(client, blob, file));
        return blob;
    }

    Result<void> readEntries(const std::filesystem::path& path) {
        ArchivePtr a(archive_read_new(), &archive_read_free);
        archive_read_support_filter_all(a.get());
        archive_read_support_format_tar(a.get());
        if (archive_read_open_filename(a.get(), path.c_str(), 1 << 20) != ARCHIVE_OK) {
            return fail(archiveError(a.get(), "opening the archive"));
        }
        struct archive_entry* entry = nullptr;
        for (;;) {
            int rc = archive_read_next_header(a.get(), &entry);
            if (rc == ARCHIVE_EOF) {
                break;
            }
            if (rc != ARCHIVE_OK && rc != ARCHIVE_WARN) {
                return fail(archiveError(a.get(), "reading the archive"));
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
                blobs[name] = Descriptor{"", digest, size, {}};
            } else if (endsWith(name, ".json") || name == "oci-layout") {
                if (size > kMaxMetadata) {
                    return fail(Code::InvalidArgument, "{} is {} bytes: too large", name, size);
                }
                std::string text(static_cast<size_t>(size), '\0');
                if (archive_read_data(a.get(), text.data(), text.size()) != size) {
                    return fail(archiveError(a.get(), fmt::format("reading {}", name)));
                }
                metadata[name] = std::move(text);
            } else if (endsWith(name, ".tar")) {
                TRY_ASSIGN(blobs[name], withContext(storeUnnamed(a.get(), name), name));
            }
        }
        return {};
    }

    Result<void> writeBlob(const Descriptor& blob, std::string_view data,
                           const containerd::Labels& labels) {
        containerd::StringSource source(data);
        TRY(client.content().write({.ref = "faasd-import-" + blob.digest,
                                    .digest = blob.digest,
                                    .size = blob.size,
                                    .labels = labels},
                                   source));
        TRY(client.content().setLabels(blob.digest, labels));
        return {};
    }

    // Sets the gc labels on a stored manifest or index.
    Result<void> label(const Descriptor& desc, int depth = 0) {
        TRY_ASSIGN(auto json, client.content().readAll(desc.digest));
        if (media::isManifest(desc.mediaType)) {
            TRY_ASSIGN(auto manifest, parseManifest(json));
            return client.content().setLabels(desc.digest, manifestGcLabels(manifest)).map([](auto&&) {});
        }
        if (!media::isIndex(desc.mediaType) || depth > 4) {
            return fail(Code::InvalidArgument, "{} has unsupported media type {}", desc.digest,
                        desc.mediaType);
        }
        TRY_ASSIGN(auto index, parseIndex(json));
        containerd::Labels refs;
        for (size_t i = 0; i < index.manifests.size(); ++i) {
            const auto& child = index.manifests[i].descriptor;
            if (client.content().info(child.digest)) {
                TRY(label(child, depth + 1));
                refs[fmt::format("containerd.io/gc.ref.content.m.{}", i)] = child.digest;
            }
        }
        return client.content().setLabels(desc.digest, refs).map([](auto&&) {});
    }

    struct Found {
        Descriptor target;
        std::string name;
    };

    Result<Found> fromOciLayout() {
        TRY_ASSIGN(auto index, parseIndex(metadata.at("index.json")));
        if (index.manifests.empty()) {
            return fail(Code::InvalidArgument, "index.json lists no images");
        }
        Found out{index.manifests.front().descriptor, ""};
        const auto& notes = out.target.annotations;
        if (auto it = notes.find(std::string(kAnnotationImageName)); it != notes.end()) {
            out.name = it->second;
        } else if (auto ref = notes.find(std::string(kAnnotationRefName));
                   ref != notes.end() && ref->second.find('/') != std::string::npos) {
            out.name = ref->second;  // a full reference, not just a tag
        }
        out.target.annotations.clear();
        if (!client.content().info(out.target.digest)) {
            return fail(Code::InvalidArgument, "index.json names {}, which the archive lacks",
                        out.target.digest);
        }
        TRY(label(out.target));
        return out;
    }

    Result<std::string> fileText(const std::string& path) {
        if (auto it = metadata.find(path); it != metadata.end()) {
            return it->second;
        }
        if (auto it = blobs.find(path); it != blobs.end()) {
            return client.content().readAll(it->second.digest, kMaxMetadata);
        }
        return fail(Code::InvalidArgument, "manifest.json names {}, which the archive lacks", path);
    }

    Result<Found> fromDockerSave() {
        auto j = nlohmann::json::parse(metadata.at("manifest.json"), nullptr, false);
        if (!j.is_array() || j.empty() || !j[0].is_object()) {
            return fail(Code::InvalidArgument, "manifest.json is not a list of images");
        }
        const auto& image = j[0];
        Found out;
        Manifest manifest;
        manifest.mediaType = media::kDockerManifest;
        try {
            TRY_ASSIGN(auto config, fileText(image.value("Config", "")));
            manifest.config = Descriptor{std::string(media::kDockerConfig), sha256Digest(config),
                                         static_cast<int64_t>(config.size()), {}};
            TRY(writeBlob(manifest.config, config, {}));
            for (const auto& layer : image.value("Layers", nlohmann::json::array())) {
                auto it = blobs.find(layer.get<std::string>());
                if (it == blobs.end()) {
                    return fail(Code::InvalidArgument, "manifest.json names layer {}, which the "
                                "archive lacks", layer.dump());
                }
                manifest.layers.push_back(
                    Descriptor{std::string(kDockerLayer), it->second.digest, it->second.size, {}});
            }
            auto tags = image.value("RepoTags", nlohmann::json::array());
            if (!tags.empty() && tags[0].is_string()) {
                out.name = tags[0].get<std::string>();
            }
        } catch (const nlohmann::json::exception& e) {
            return fail(Code::InvalidArgument, "manifest.json: {}", e.what());
        }
        std::string json = toJson(manifest);
        out.target = Descriptor{std::string(media::kDockerManifest), sha256Digest(json),
                                static_cast<int64_t>(json.size()), {}};
        TRY(writeBlob(out.target, json, manifestGcLabels(manifest)));
        return out;
    }
};

} // namespace

Result<containerd::Image> importArchive(const containerd::Client& client,
                                        const std::filesystem::path& path,
                                        const std::string& name) {
    const std::string what = fmt::format("importing {}", path.string());
    TRY_ASSIGN(auto lease, withContext(client.leases().create(
                                           fmt::format("faasd-import-{}", randomHex(6)),
                                           {{"faasd.purpose", "import"}}, std::chrono::hours(1)),
                                       what));
    ScopeExit dropLease([&] { (void)client.leases().remove(lease.id); });
    TRY_ASSIGN(auto spool, withContext(TempDir::create("faasd-import-"), what));
    Importer importer{client.withLease(lease.id), spool.path(), {}, {}};
    TRY(withContext(importer.readEntries(path), what));

    Result<Importer::Found> found = fail(
        Code::InvalidArgument, "neither an OCI image layout (index.json) nor a docker save "
                               "archive (manifest.json)");
    if (importer.metadata.count("index.json")) {
        found = importer.fromOciLayout();
    } else if (importer.metadata.count("manifest.json")) {
        found = importer.fromDockerSave();
    }
    TRY(withContext(found, what));
    std::string imageName = name.empty() ? found->name : name;
    if (imageName.empty()) {
        return fail(Code::InvalidArgument, "{}: the archive names no image; give a name", what);
    }
    TRY_ASSIGN(auto ref, withContext(parseReference(imageName), what));

    containerd::Image record{ref.str(), {}, found->target, {}, {}};
    auto created = client.images().create(record);
    if (!created && created.error().code() == Code::AlreadyExists) {
        created = client.images().update(record);
    }
    return withContext(created, what);
}

} // namespace faasd::image
