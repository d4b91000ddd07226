#pragma once

// Moving blobs between a registry and containerd's content store with
// bounded memory: downloads are spooled to a temporary file (hashed on the
// way and checked against the expected digest and size) and streamed from
// there into the store, so a failed store write can resume from the file.

#include "common/error.hpp"
#include "common/unique_fd.hpp"
#include "containerd/client.hpp"
#include "image/oci.hpp"
#include "image/reference.hpp"
#include "image/registry_client.hpp"

#include <filesystem>
#include <string>

namespace faasd::image {

// A ByteSource over an open file.
class FileSource : public containerd::ByteSource {
public:
    explicit FileSource(UniqueFd fd) : fd_(std::move(fd)) {}
    static Result<FileSource> open(const std::filesystem::path& path);
    Result<void> seek(int64_t offset) override;
    Result<size_t> read(std::span<char> buf) override;

private:
    UniqueFd fd_;
};

// A manifest or index as the registry served it.
struct FetchedManifest {
    Descriptor descriptor; // media type, digest and size of body
    std::string body;
};

// GETs a manifest by tag or digest, with the Accept header for every
// manifest and index type; checks the body against a requested digest and
// the Docker-Content-Digest header. A 404 is Code::NotFound naming what
// was asked for.
Result<FetchedManifest> fetchManifest(RegistryClient& registry, const Reference& reference,
                                      std::string_view tagOrDigest);

// Downloads a blob into file (created), checking digest and size.
Result<void> downloadBlob(RegistryClient& registry, const Reference& reference,
                          const Descriptor& blob, const std::filesystem::path& file);

// Writes a file into the content store under the blob's digest.
Result<void> storeFile(const containerd::Client& client, const Descriptor& blob,
                       const std::filesystem::path& file);

// The gc reference labels a manifest's blob carries for its config and layers.
containerd::Labels manifestGcLabels(const Manifest& manifest);

} // namespace faasd::image
