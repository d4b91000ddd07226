#pragma once

// Packs a function image without a container engine: a layer with fwatchdog
// (and busybox with its applets when the function needs a shell), a layer
// with the function's files, and the image config fwatchdog runs under.
// Reproducible: entries sorted, mtimes 0, owners fixed, modes normalised,
// gzip without a timestamp, so the same inputs give the same digest.

#include "common/error.hpp"
#include "image/layer.hpp"
#include "image/oci.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faasd::image {

// Where fwatchdog sits in every function image.
inline constexpr std::string_view kWatchdogPath = "/usr/bin/fwatchdog";
// The unprivileged user functions run as, and its home (the working dir).
inline constexpr uid_t kFunctionUid = 1000;
inline constexpr std::string_view kFunctionUser = "1000:1000";
inline constexpr std::string_view kFunctionHome = "/home/app";

struct ImageFile {
    std::string path;               // inside the image: "/home/app/handler"; "/" merges a folder
    std::filesystem::path host;     // a file, or a directory packed with all it holds
    std::string layer = "function"; // files of one name share a layer, in order of first use
};

struct FunctionImageSpec {
    std::filesystem::path watchdog;               // a static fwatchdog
    std::optional<std::filesystem::path> busybox; // a static busybox, with its applets
    std::vector<ImageFile> files;                 // the function's layer
    std::string fprocess;
    std::string mode = "classic";           // fwatchdog's mode
    std::map<std::string, std::string> env; // more environment (upstream_url, …)
    Labels labels;
};

// An image made here, before it goes anywhere: its layers, config and
// manifest, exactly as storeImage() and writeOciArchive() write them.
struct BuiltImage {
    std::vector<Layer> layers;
    ImageConfig config; // with rootfs.diff_ids
    std::string configJson;
    Descriptor configDescriptor;
    std::string manifestJson;
    Descriptor manifestDescriptor; // its digest is the image's digest
};

// Config and manifest for layers, as storeImage() writes them.
BuiltImage assembleImage(ImageConfig config, std::vector<Layer> layers);

// Adds a host file or directory tree at path: entries in sorted order, owned
// by root, mtime 0, mode 0755 for directories and executables, else 0644;
// symlinks kept as links.
Result<void> addHostTree(LayerBuilder& layer, const std::string& path,
                         const std::filesystem::path& host);

// The layers (fwatchdog's, then one per ImageFile::layer) and the config of
// a function image.
Result<BuiltImage> buildFunctionImage(const FunctionImageSpec& spec);

// Writes the image as an OCI image layout tar (oci-layout, index.json with
// the name annotations, blobs/sha256/...), atomically, reproducibly.
Result<void> writeOciArchive(const BuiltImage& image, const std::string& name,
                             const std::filesystem::path& path);

// Whether the ELF file at path has no program interpreter (is static).
Result<bool> isStaticExecutable(const std::filesystem::path& path);

} // namespace faasd::image
