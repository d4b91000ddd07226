#include "common/files.hpp"
#include "common/random.hpp"
#include "common/scope_exit.hpp"
#include "image/archive.hpp"
#include "image/archive_reader.hpp"
#include "image/digest.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"
#include "image/registry_blob.hpp"
#include "image/store.hpp"

#include <map>

namespace faasd::image {
namespace {

struct Importer {
    const containerd::Client& client; // bound to the import's lease
    ArchiveContents contents;

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
            return client.content()
                .setLabels(desc.digest, manifestGcLabels(manifest))
                .map([](auto&&) {});
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
        TRY_ASSIGN(auto index, parseIndex(contents.metadata.at("index.json")));
        if (index.manifests.empty()) {
            return fail(Code::InvalidArgument, "index.json lists no images");
        }
        Found out{index.manifests.front().descriptor, ""};
        const auto& notes = out.target.annotations;
        if (auto it = notes.find(std::string(kAnnotationImageName)); it != notes.end()) {
            out.name = it->second;
        } else if (auto ref = notes.find(std::string(kAnnotationRefName));
                   ref != notes.end() && ref->second.find('/') != std::string::npos) {
            out.name = ref->second; // a full reference, not just a tag
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
        if (auto it = contents.metadata.find(path); it != contents.metadata.end()) {
            return it->second;
        }
        if (auto it = contents.blobs.find(path); it != contents.blobs.end()) {
            return client.content().readAll(it->second.digest, kMaxArchiveMetadata);
        }
        return fail(Code::InvalidArgument, "manifest.json names {}, which the archive lacks", path);
    }

    Result<Found> fromDockerSave() {
        TRY_ASSIGN(auto saved, parseDockerSaveManifest(contents.metadata.at("manifest.json")));
        Found out;
        out.name = saved.repoTag;
        Manifest manifest;
        manifest.mediaType = media::kDockerManifest;
        TRY_ASSIGN(auto config, fileText(saved.config));
        manifest.config = Descriptor{std::string(media::kDockerConfig),
                                     sha256Digest(config),
                                     static_cast<int64_t>(config.size()),
                                     {}};
        TRY(writeBlob(manifest.config, config, {}));
        for (const auto& layer : saved.layers) {
            auto it = contents.blobs.find(layer);
            if (it == contents.blobs.end()) {
                return fail(Code::InvalidArgument,
                            "manifest.json names layer \"{}\", which the archive lacks", layer);
            }
            manifest.layers.push_back(
                Descriptor{std::string(kDockerLayerTar), it->second.digest, it->second.size, {}});
        }
        std::string json = toJson(manifest);
        out.target = Descriptor{std::string(media::kDockerManifest),
                                sha256Digest(json),
                                static_cast<int64_t>(json.size()),
                                {}};
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
    auto leased = client.withLease(lease.id);
    TRY_ASSIGN(auto contents, withContext(readArchive(leased, path, spool.path()), what));
    Importer importer{leased, std::move(contents)};

    Result<Importer::Found> found =
        fail(Code::InvalidArgument, "neither an OCI image layout (index.json) nor a docker save "
                                    "archive (manifest.json)");
    if (importer.contents.metadata.count("index.json")) {
        found = importer.fromOciLayout();
    } else if (importer.contents.metadata.count("manifest.json")) {
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
