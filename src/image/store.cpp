#include "image/store.hpp"

#include "common/log.hpp"
#include "common/random.hpp"
#include "common/scope_exit.hpp"
#include "image/digest.hpp"

namespace faasd::image {
namespace {

const Logger kStoreLog("image");

// A short-lived lease that protects what is written until something
// references it; it expires by itself if faasd dies meanwhile.
Result<containerd::Lease> tempLease(const containerd::Client& client, std::string_view purpose) {
    return client.leases().create(fmt::format("faasd-{}-{}", purpose, randomHex(6)),
                                  {{"faasd.purpose", std::string(purpose)}}, std::chrono::hours(1));
}

Result<void> writeBlob(const containerd::Client& client, const std::string& digest,
                       std::string_view data, const containerd::Labels& labels) {
    containerd::StringSource source(data);
    return client.content().write({.ref = "faasd-" + digest,
                                   .digest = digest,
                                   .size = static_cast<int64_t>(data.size()),
                                   .labels = labels},
                                  source);
}

} // namespace

Result<containerd::Image> storeImage(const containerd::Client& client, const std::string& name,
                                     ImageConfig config, const std::vector<Layer>& layers) {
    const std::string what = fmt::format("storing image {}", name);
    TRY_ASSIGN(auto lease, withContext(tempLease(client, "store"), what));
    auto leased = client.withLease(lease.id);
    ScopeExit dropLease([&] { (void)client.leases().remove(lease.id); });

    Manifest manifest;
    config.diffIds.clear();
    for (size_t i = 0; i < layers.size(); ++i) {
        const auto& layer = layers[i];
        TRY(withContext(writeBlob(leased, layer.digest, layer.blob, {}), what));
        config.diffIds.push_back(layer.diffId);
        manifest.layers.push_back(layer.descriptor());
    }
    std::string configJson = toJson(config);
    manifest.config = Descriptor{std::string(media::kOciConfig),
                                 sha256Digest(configJson),
                                 static_cast<int64_t>(configJson.size()),
                                 {}};
    TRY(withContext(writeBlob(leased, manifest.config.digest, configJson, {}), what));

    containerd::Labels refs;
    refs[std::string(kGcRefContentConfig)] = manifest.config.digest;
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        refs[fmt::format("{}{}", kGcRefContentLayerPrefix, i)] = manifest.layers[i].digest;
    }
    std::string manifestJson = toJson(manifest);
    Descriptor target{std::string(media::kOciManifest),
                      sha256Digest(manifestJson),
                      static_cast<int64_t>(manifestJson.size()),
                      {}};
    TRY(withContext(writeBlob(leased, target.digest, manifestJson, refs), what));
    // A blob that already existed keeps its old labels: set them again.
    TRY(withContext(client.content().setLabels(target.digest, refs), what));

    containerd::Image record{name, {}, target, {}, {}};
    auto created = client.images().create(record);
    if (!created && created.error().code() == Code::AlreadyExists) {
        created = client.images().update(record);
    }
    TRY(withContext(created, what));
    kStoreLog.debug("stored image {} as {}", name, target.digest);
    return *created;
}

Result<ResolvedImage> resolveImage(const containerd::Client& client, const std::string& name) {
    const std::string what = fmt::format("resolving image {}", name);
    ResolvedImage out;
    TRY_ASSIGN(out.record, withContext(client.images().get(name), what));
    Descriptor desc = out.record.target;
    for (int depth = 0; media::isIndex(desc.mediaType); ++depth) {
        if (depth > 4) {
            return fail(Code::InvalidArgument, "{}: image indexes nested too deep", what);
        }
        TRY_ASSIGN(auto json, withContext(client.content().readAll(desc.digest), what));
        TRY_ASSIGN(auto index, withContext(parseIndex(json), what));
        TRY_ASSIGN(desc, withContext(selectManifest(index, hostPlatform()), what));
    }
    if (!media::isManifest(desc.mediaType)) {
        return fail(Code::InvalidArgument, "{}: unsupported media type {}", what, desc.mediaType);
    }
    TRY_ASSIGN(auto manifestJson, withContext(client.content().readAll(desc.digest), what));
    if (sha256Digest(manifestJson) != desc.digest && desc.digest.rfind("sha256:", 0) == 0) {
        return fail(Code::FailedPrecondition, "{}: manifest does not match its digest {}", what,
                    desc.digest);
    }
    TRY_ASSIGN(out.manifest, withContext(parseManifest(manifestJson), what));
    TRY_ASSIGN(auto configJson,
               withContext(client.content().readAll(out.manifest.config.digest), what));
    TRY_ASSIGN(out.config, withContext(parseImageConfig(configJson), what));
    if (out.config.diffIds.size() != out.manifest.layers.size()) {
        return fail(Code::InvalidArgument, "{}: {} layers but {} diff IDs", what,
                    out.manifest.layers.size(), out.config.diffIds.size());
    }
    out.manifestDescriptor = desc;
    return out;
}

Result<std::string> unpackImage(const containerd::Client& client, const ResolvedImage& image,
                                const std::string& snapshotter) {
    const std::string what = fmt::format("unpacking image {}", image.record.name);
    auto chains = chainIds(image.config.diffIds);
    if (chains.empty()) {
        return fail(Code::InvalidArgument, "{}: the image has no layers", what);
    }
    TRY_ASSIGN(auto lease, withContext(tempLease(client, "unpack"), what));
    auto leased = client.withLease(lease.id);
    ScopeExit dropLease([&] { (void)client.leases().remove(lease.id); });
    auto snapshots = leased.snapshots(snapshotter);

    for (size_t i = 0; i < chains.size(); ++i) {
        const std::string& chain = chains[i];
        if (snapshots.stat(chain)) {
            continue; // unpacked before
        }
        const std::string parent = i == 0 ? "" : chains[i - 1];
        const std::string key = fmt::format("extract-{}-{}", randomHex(4), chain);
        TRY_ASSIGN(auto mounts, withContext(snapshots.prepare(key, parent), what));
        ScopeExit dropKey([&] { (void)snapshots.remove(key); });
        TRY_ASSIGN(auto applied,
                   withContext(leased.diff().apply(image.manifest.layers[i], mounts), what));
        if (applied.digest != image.config.diffIds[i]) {
            return fail(Code::FailedPrecondition,
                        "{}: layer {} unpacked to {}, but the config says {}", what,
                        image.manifest.layers[i].digest, applied.digest, image.config.diffIds[i]);
        }
        auto committed = snapshots.commit(chain, key);
        if (!committed && committed.error().code() != Code::AlreadyExists) {
            return fail(std::move(committed).error().context(what));
        }
        if (committed) {
            dropKey.release();
        }
    }
    // Keep the snapshots alive for as long as the image's config is.
    TRY(withContext(client.content().setLabel(image.manifest.config.digest,
                                              std::string(kGcRefSnapshotPrefix) + snapshotter,
                                              chains.back()),
                    what));
    return chains.back();
}

} // namespace faasd::image
