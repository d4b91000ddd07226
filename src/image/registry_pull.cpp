// pullImage: manifests and blobs over the OCI distribution API into
// containerd's content store, then the image record.

#include "common/files.hpp"
#include "common/log.hpp"
#include "common/random.hpp"
#include "common/scope_exit.hpp"
#include "image/auth.hpp"
#include "image/pull.hpp"
#include "image/registry.hpp"
#include "image/registry_blob.hpp"
#include "image/registry_client.hpp"

namespace faasd::image {
namespace {

const Logger kPullLog("pull");

constexpr std::string_view kGcRefContentManifestPrefix = "containerd.io/gc.ref.content.m.";

// Credentials for an endpoint: by its host, and for the origin also by the
// reference's domain (config.json files name "docker.io", not its host).
Result<std::optional<Credentials>> credentialsFor(const RegistryOptions& options,
                                                  const Endpoint& endpoint,
                                                  const Reference& reference) {
    TRY_ASSIGN(auto creds, loadCredentials(options.dockerConfig, endpoint.host));
    if (!creds && !endpoint.mirror) {
        TRY_ASSIGN(creds, loadCredentials(options.dockerConfig, reference.domain));
    }
    return creds;
}

struct Puller {
    const containerd::Client& client; // bound to the pull's lease
    std::string leaseId;
    RegistryClient& registry;
    const Reference& reference;
    const std::filesystem::path& spool;

    // Fetches a blob unless the store has it; one already there is added to
    // the lease so garbage collection cannot take it before the manifest
    // refers to it.
    Result<void> ensureBlob(const Descriptor& blob) {
        if (client.content().info(blob.digest)) {
            return client.leases().addResource(leaseId, {blob.digest, "content"});
        }
        auto file = spool / blob.digest.substr(blob.digest.find(':') + 1);
        ScopeExit removeFile([&] {
            std::error_code ec;
            std::filesystem::remove(file, ec);
        });
        TRY(downloadBlob(registry, reference, blob, file));
        return storeFile(client, blob, file);
    }

    Result<void> writeManifest(const FetchedManifest& m, const containerd::Labels& refs) {
        containerd::StringSource source(m.body);
        TRY(client.content().write({.ref = "faasd-pull-" + m.descriptor.digest,
                                    .digest = m.descriptor.digest,
                                    .size = m.descriptor.size,
                                    .labels = refs},
                                   source));
        // A blob that already existed keeps its old labels: set them again.
        TRY(client.content().setLabels(m.descriptor.digest, refs));
        return {};
    }

    Result<void> pullManifest(const FetchedManifest& fetched) {
        TRY_ASSIGN(auto manifest, parseManifest(fetched.body));
        TRY(withContext(ensureBlob(manifest.config), "config"));
        for (const auto& layer : manifest.layers) {
            TRY(withContext(ensureBlob(layer), fmt::format("layer {}", layer.digest)));
        }
        return writeManifest(fetched, manifestGcLabels(manifest));
    }

    // Fetches what the reference names; returns the image's target.
    Result<Descriptor> pull() {
        const std::string& wanted = reference.digest.empty() ? reference.tag : reference.digest;
        TRY_ASSIGN(auto top, fetchManifest(registry, reference, wanted));
        if (media::isManifest(top.descriptor.mediaType)) {
            TRY(pullManifest(top));
            return top.descriptor;
        }
        TRY_ASSIGN(auto index, parseIndex(top.body));
        TRY_ASSIGN(auto chosen, selectManifest(index, hostPlatform()));
        if (!media::isManifest(chosen.mediaType)) {
            return fail(Code::InvalidArgument, "{} selects {} of type {}, not a manifest", wanted,
                        chosen.digest, chosen.mediaType);
        }
        TRY_ASSIGN(auto child, fetchManifest(registry, reference, chosen.digest));
        if (child.descriptor.size != chosen.size) {
            return fail(Code::FailedPrecondition, "manifest {} is {} bytes, the index says {}",
                        chosen.digest, child.descriptor.size, chosen.size);
        }
        TRY(withContext(pullManifest(child), fmt::format("manifest {}", chosen.digest)));
        containerd::Labels refs;
        for (size_t i = 0; i < index.manifests.size(); ++i) {
            if (index.manifests[i].descriptor.digest == chosen.digest) {
                refs[fmt::format("{}{}", kGcRefContentManifestPrefix, i)] = chosen.digest;
            }
        }
        TRY(writeManifest(top, refs));
        return top.descriptor;
    }
};

Result<void> pullFrom(const containerd::Client& client, const Reference& reference,
                      const RegistryOptions& options, const Endpoint& endpoint) {
    TRY_ASSIGN(auto creds, credentialsFor(options, endpoint, reference));
    RegistryClient registry(endpoint, reference.path, "pull", std::move(creds), options.timeout);

    TRY_ASSIGN(auto lease,
               client.leases().create(fmt::format("faasd-pull-{}", randomHex(6)),
                                      {{"faasd.purpose", "pull"}}, std::chrono::hours(1)));
    ScopeExit dropLease([&] { (void)client.leases().remove(lease.id); });
    auto leased = client.withLease(lease.id);
    TRY_ASSIGN(auto spool, TempDir::create("faasd-pull-"));

    Puller puller{leased, lease.id, registry, reference, spool.path()};
    TRY_ASSIGN(auto target, puller.pull());

    containerd::Image record{reference.str(), {}, target, {}, {}};
    auto created = client.images().create(record);
    if (!created && created.error().code() == Code::AlreadyExists) {
        created = client.images().update(record);
    }
    TRY(created);
    kPullLog.info("pulled {} ({}) from {}", record.name, target.digest, endpoint.host);
    return {};
}

} // namespace

Result<ResolvedImage> pullImage(const containerd::Client& client, const Reference& reference,
                                const RegistryOptions& options) {
    const std::string name = reference.str();
    const std::string what = fmt::format("pulling {}", name);
    std::optional<Error> last;
    for (const auto& endpoint : pullEndpoints(reference, options)) {
        auto pulled = pullFrom(client, reference, options, endpoint);
        if (pulled) {
            return withContext(resolveImage(client, name), what);
        }
        if (endpoint.mirror) {
            kPullLog.warn("{}: mirror {} failed, trying the next: {}", what, endpoint.host,
                          pulled.error().message());
        }
        last = std::move(pulled).error();
    }
    return fail(std::move(*last).context(what));
}

} // namespace faasd::image
