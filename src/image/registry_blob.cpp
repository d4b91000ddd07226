#include "image/registry_blob.hpp"

#include "image/digest.hpp"
#include "image/store.hpp"

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <unistd.h>

namespace faasd::image {

Result<FileSource> FileSource::open(const std::filesystem::path& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) {
        return fail(systemError(fmt::format("opening {}", path.string()), errno));
    }
    return FileSource(std::move(fd));
}

Result<void> FileSource::seek(int64_t offset) {
    if (::lseek(fd_.get(), offset, SEEK_SET) < 0) {
        return fail(systemError(fmt::format("seeking to {}", offset), errno));
    }
    return {};
}

Result<size_t> FileSource::read(std::span<char> buf) {
    for (;;) {
        ssize_t n = ::read(fd_.get(), buf.data(), buf.size());
        if (n >= 0) {
            return static_cast<size_t>(n);
        }
        if (errno != EINTR) {
            return fail(systemError("reading a downloaded blob", errno));
        }
    }
}

namespace {

// The media type of a manifest body whose Content-Type said nothing useful.
std::string sniffMediaType(std::string_view body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object()) {
        return "";
    }
    if (auto t = j.value("mediaType", ""); !t.empty()) {
        return t;
    }
    if (j.contains("manifests")) {
        return std::string(media::kOciIndex);
    }
    if (j.contains("config")) {
        return std::string(media::kOciManifest);
    }
    return "";
}

} // namespace

Result<FetchedManifest> fetchManifest(RegistryClient& registry, const Reference& reference,
                                      std::string_view tagOrDigest) {
    const std::string host = registry.endpoint().host;
    HttpRequest req{.method = "GET", .target = manifestPath(reference, tagOrDigest)};
    req.headers.emplace_back("Accept", manifestAccept());
    TRY_ASSIGN(auto res, registry.send(req));
    if (res.status == 404) {
        return fail(Code::NotFound, "manifest {}:{} not found on {}: {}", reference.repository(),
                    tagOrDigest, host, registryError(res));
    }
    if (res.status != 200) {
        return fail(Code::Unavailable, "registry {}: getting manifest {}: {}", host, tagOrDigest,
                    registryError(res));
    }
    FetchedManifest out;
    out.body = std::move(res.body);
    std::string type = mediaTypeOf(res.header("content-type"));
    if (!media::isManifest(type) && !media::isIndex(type)) {
        type = sniffMediaType(out.body);
    }
    if (!media::isManifest(type) && !media::isIndex(type)) {
        return fail(Code::InvalidArgument,
                    "manifest {} from {} has unsupported media type \"{}\" (schema 1 "
                    "manifests are not supported)",
                    tagOrDigest, host, type);
    }
    out.descriptor =
        Descriptor{type, sha256Digest(out.body), static_cast<int64_t>(out.body.size()), {}};
    if (tagOrDigest.rfind("sha256:", 0) == 0 && out.descriptor.digest != tagOrDigest) {
        return fail(Code::FailedPrecondition, "manifest {} from {} has digest {}", tagOrDigest,
                    host, out.descriptor.digest);
    }
    auto claimed = res.header("docker-content-digest");
    if (claimed.rfind("sha256:", 0) == 0 && claimed != out.descriptor.digest) {
        return fail(Code::FailedPrecondition, "manifest {} from {} has digest {}, not {}",
                    tagOrDigest, host, out.descriptor.digest, claimed);
    }
    return out;
}

Result<void> downloadBlob(RegistryClient& registry, const Reference& reference,
                          const Descriptor& blob, const std::filesystem::path& file) {
    const std::string what = fmt::format("downloading {}", blob.digest);
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!fd) {
        return fail(systemError(fmt::format("{}: creating {}", what, file.string()), errno));
    }
    Sha256 hash;
    int64_t received = 0;
    BodySink sink = [&](std::string_view chunk) -> Result<void> {
        received += static_cast<int64_t>(chunk.size());
        if (received > blob.size) {
            return fail(Code::FailedPrecondition, "more than the expected {} bytes", blob.size);
        }
        hash.update(chunk);
        while (!chunk.empty()) {
            ssize_t n = ::write(fd.get(), chunk.data(), chunk.size());
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n < 0) {
                return fail(systemError(fmt::format("writing {}", file.string()), errno));
            }
            chunk.remove_prefix(static_cast<size_t>(n));
        }
        return {};
    };
    HttpRequest req{.method = "GET",
                    .target = blobPath(reference, blob.digest),
                    .sink = &sink,
                    .followRedirects = true};
    TRY_ASSIGN(auto res, withContext(registry.send(req), what));
    if (res.status == 404) {
        return fail(Code::NotFound, "{}: blob not found in {} on {}: {}", what,
                    reference.repository(), registry.endpoint().host, registryError(res));
    }
    if (res.status != 200) {
        return fail(Code::Unavailable, "{} from {}: {}", what, res.url.host, registryError(res));
    }
    if (received != blob.size) {
        return fail(Code::FailedPrecondition, "{}: got {} bytes, expected {}", what, received,
                    blob.size);
    }
    if (blob.digest.rfind("sha256:", 0) == 0) {
        if (auto got = hash.digest(); got != blob.digest) {
            return fail(Code::FailedPrecondition, "{}: the bytes have digest {}", what, got);
        }
    }
    return {};
}

Result<void> storeFile(const containerd::Client& client, const Descriptor& blob,
                       const std::filesystem::path& file) {
    TRY_ASSIGN(auto source, FileSource::open(file));
    return client.content().write(
        {.ref = "faasd-pull-" + blob.digest, .digest = blob.digest, .size = blob.size}, source);
}

containerd::Labels manifestGcLabels(const Manifest& manifest) {
    containerd::Labels refs;
    refs[std::string(kGcRefContentConfig)] = manifest.config.digest;
    for (size_t i = 0; i < manifest.layers.size(); ++i) {
        refs[fmt::format("{}{}", kGcRefContentLayerPrefix, i)] = manifest.layers[i].digest;
    }
    return refs;
}

} // namespace faasd::image
