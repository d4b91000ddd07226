#pragma once

// The OCI image model (and Docker's v2 schema 2 equivalents): manifests,
// indexes, image configs, their media types and JSON forms.

#include "common/error.hpp"
#include "containerd/types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::image {

using containerd::Descriptor;
using containerd::Labels;

namespace media {
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciLayer = "application/vnd.oci.image.layer.v1.tar";
inline constexpr std::string_view kOciLayerGzip = "application/vnd.oci.image.layer.v1.tar+gzip";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";
inline constexpr std::string_view kDockerLayerGzip =
    "application/vnd.docker.image.rootfs.diff.tar.gzip";

bool isManifest(std::string_view mediaType);
bool isIndex(std::string_view mediaType);
bool isLayer(std::string_view mediaType);
} // namespace media

struct Platform {
    std::string os = "linux";
    std::string architecture = "amd64";
    std::string variant;
};

// The platform this binary runs on, in OCI terms.
Platform hostPlatform();

struct Manifest {
    std::string mediaType{media::kOciManifest};
    Descriptor config;
    std::vector<Descriptor> layers;
    Labels annotations;
};

struct IndexEntry {
    Descriptor descriptor;
    std::optional<Platform> platform;
};

struct Index {
    std::string mediaType{media::kOciIndex};
    std::vector<IndexEntry> manifests;
};

// Docker's image health check (config.Healthcheck); durations in
// nanoseconds, 0 meaning the runtime's default.
struct Healthcheck {
    std::vector<std::string> test; // {"CMD", "/usr/bin/fwatchdog", "--run-healthcheck"}
    int64_t intervalNs = 0;
    int64_t timeoutNs = 0;
    int64_t startPeriodNs = 0;
    int retries = 0;
};

struct ImageConfig {
    std::string architecture = "amd64";
    std::string os = "linux";
    std::string created; // RFC 3339, optional
    std::vector<std::string> env;
    std::vector<std::string> entrypoint;
    std::vector<std::string> cmd;
    std::string workingDir;
    std::string user;
    Labels labels;
    std::vector<std::string> exposedPorts; // "8080/tcp"
    std::optional<Healthcheck> healthcheck;
    std::vector<std::string> diffIds; // rootfs.diff_ids
};

std::string toJson(const Manifest& manifest);
std::string toJson(const Index& index);
std::string toJson(const ImageConfig& config);

Result<Manifest> parseManifest(std::string_view json);
Result<Index> parseIndex(std::string_view json);
Result<ImageConfig> parseImageConfig(std::string_view json);

// The first image of a `docker save` archive's manifest.json:
// [{"Config": "<id>.json", "RepoTags": ["name:tag"], "Layers": ["<id>/layer.tar"]}]
struct DockerSaveImage {
    std::string config;              // the config's path in the archive
    std::vector<std::string> layers; // the layer tars' paths, bottom first
    std::string repoTag;             // the first of RepoTags; may be empty
};
Result<DockerSaveImage> parseDockerSaveManifest(std::string_view json);

// Picks the manifest for platform from an index.
Result<Descriptor> selectManifest(const Index& index, const Platform& platform);

// The chain IDs of a stack of layers (OCI image spec): the first is the
// first diff ID; each next is sha256(previous + " " + diffID).
std::vector<std::string> chainIds(const std::vector<std::string>& diffIds);

} // namespace faasd::image
