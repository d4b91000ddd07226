#include "image/push.hpp"

#include "common/log.hpp"
#include "image/auth.hpp"
#include "image/oci.hpp"
#include "image/registry.hpp"
#include "image/registry_client.hpp"

namespace faasd::image {
namespace {

const Logger kPushLog("push");

struct Pusher {
    const containerd::Client& client;
    RegistryClient& registry;
    const Reference& target;

    Result<bool> registryHas(const Descriptor& blob) {
        TRY_ASSIGN(auto res, registry.send({.method = "HEAD",
                                            .target = blobPath(target, blob.digest),
                                            .followRedirects = true}));
        if (res.status == 200) {
            return true;
        }
        if (res.status == 404) {
            return false;
        }
        return fail(Code::Unavailable, "registry {}: checking blob {}: {}",
                    registry.endpoint().host, blob.digest, registryError(res));
    }

    Result<void> pushBlob(const Descriptor& blob) {
        const std::string what = fmt::format("uploading {}", blob.digest);
        TRY_ASSIGN(bool present, withContext(registryHas(blob), what));
        if (present) {
            kPushLog.debug("{} is already in {}", blob.digest, target.repository());
            return {};
        }
        TRY_ASSIGN(auto started,
                   withContext(registry.send({.method = "POST",
                                              .target = uploadPath(target),
                                              .contentType = "application/octet-stream"}),
                               what));
        if (started.status != 202 && started.status != 201) {
            return fail(Code::Unavailable, "{}: starting the upload: {}", what,
                        registryError(started));
        }
        auto location = started.header("location");
        if (location.empty()) {
            return fail(Code::Unavailable, "{}: the registry gave no upload location", what);
        }
        TRY_ASSIGN(auto url, resolveUrl(started.url, location));
        url.target += (url.target.find('?') == std::string::npos ? "?" : "&") +
                      std::string("digest=") + urlEncode(blob.digest);

        // Streamed from the content store as the connection takes it.
        const auto content = client.content();
        BodySource source{blob.size, [&](int64_t offset, int64_t length, const BodySink& sink) {
                              return content.read(blob.digest, sink, offset, length);
                          }};
        TRY_ASSIGN(auto put, withContext(registry.send({.method = "PUT",
                                                        .target = url.origin() + url.target,
                                                        .contentType = "application/octet-stream",
                                                        .source = &source}),
                                         what));
        if (put.status != 201 && put.status != 204 && put.status != 200) {
            return fail(Code::Unavailable, "{}: {}", what, registryError(put));
        }
        return {};
    }

    Result<void> putManifest(const Descriptor& desc, const std::string& body,
                             std::string_view tagOrDigest) {
        TRY_ASSIGN(auto res, registry.send({.method = "PUT",
                                            .target = manifestPath(target, tagOrDigest),
                                            .body = body,
                                            .contentType = desc.mediaType}));
        if (res.status != 201 && res.status != 200 && res.status != 202) {
            return fail(Code::Unavailable, "registry {}: putting manifest {}: {}",
                        registry.endpoint().host, tagOrDigest, registryError(res));
        }
        return {};
    }

    Result<void> pushManifest(const Descriptor& desc, std::string_view tagOrDigest) {
        TRY_ASSIGN(auto body, client.content().readAll(desc.digest));
        TRY_ASSIGN(auto manifest, parseManifest(body));
        TRY(pushBlob(manifest.config));
        for (const auto& layer : manifest.layers) {
            TRY(pushBlob(layer));
        }
        return putManifest(desc, body, tagOrDigest);
    }

    Result<void> push(const Descriptor& top) {
        const std::string tagOrDigest = target.digest.empty() ? target.tag : target.digest;
        if (media::isManifest(top.mediaType)) {
            return pushManifest(top, tagOrDigest);
        }
        if (!media::isIndex(top.mediaType)) {
            return fail(Code::InvalidArgument, "image has unsupported media type {}",
                        top.mediaType);
        }
        TRY_ASSIGN(auto body, client.content().readAll(top.digest));
        TRY_ASSIGN(auto index, parseIndex(body));
        size_t pushed = 0;
        for (const auto& entry : index.manifests) {
            if (!media::isManifest(entry.descriptor.mediaType) ||
                !client.content().info(entry.descriptor.digest)) {
                continue; // another platform that was never pulled
            }
            TRY(withContext(pushManifest(entry.descriptor, entry.descriptor.digest),
                            fmt::format("manifest {}", entry.descriptor.digest)));
            ++pushed;
        }
        if (pushed == 0) {
            return fail(Code::FailedPrecondition, "none of the index's manifests are stored");
        }
        return putManifest(top, body, tagOrDigest);
    }
};

} // namespace

Result<void> pushImage(const containerd::Client& client, const std::string& localName,
                       const Reference& target, const RegistryOptions& options) {
    const std::string what = fmt::format("pushing {} to {}", localName, target.str());
    TRY_ASSIGN(auto record, withContext(client.images().get(localName), what));
    Endpoint endpoint = pushEndpoint(target, options);
    TRY_ASSIGN(auto creds, withContext(loadCredentials(options.dockerConfig, endpoint.host), what));
    if (!creds) {
        TRY_ASSIGN(creds, withContext(loadCredentials(options.dockerConfig, target.domain), what));
    }
    RegistryClient registry(endpoint, target.path, "pull,push", std::move(creds), options.timeout);
    Pusher pusher{client, registry, target};
    TRY(withContext(pusher.push(record.target), what));
    kPushLog.info("pushed {} as {} ({})", localName, target.str(), record.target.digest);
    return {};
}

} // namespace faasd::image
