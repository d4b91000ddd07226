#pragma once

// Builds image layers: a tar of files, gzip-compressed, with both digests
// the OCI model needs (the compressed blob's, and the uncompressed tar's
// "diff ID").

#include "common/error.hpp"
#include "containerd/types.hpp"

#include <filesystem>
#include <set>
#include <string>
#include <sys/types.h>
#include <vector>

namespace faasd::image {

struct Layer {
    std::string blob;   // tar+gzip bytes
    std::string digest; // sha256 of blob
    std::string diffId; // sha256 of the uncompressed tar
    containerd::Descriptor descriptor() const;
};

class LayerBuilder {
public:
    // Paths are absolute inside the image ("/bin/busybox"); parent
    // directories are added as needed.
    LayerBuilder& addFile(std::string path, std::string content, mode_t mode = 0644, uid_t uid = 0,
                          gid_t gid = 0);
    // Reads a host file now; keeps its permission bits.
    Result<void> addHostFile(std::string path, const std::filesystem::path& host);
    LayerBuilder& addDirectory(std::string path, mode_t mode = 0755, uid_t uid = 0, gid_t gid = 0);
    LayerBuilder& addSymlink(std::string path, std::string target);

    // Whether the layer already holds path ("/home/app").
    bool has(std::string_view path) const;

    Result<Layer> build() const;

private:
    struct Entry {
        std::string path;
        enum class Kind { File, Directory, Symlink } kind;
        std::string content; // file content, or symlink target
        mode_t mode;
        uid_t uid;
        gid_t gid;
    };
    void ensureParents(const std::string& path);
    void push(Entry entry);
    std::vector<Entry> entries_;
    std::set<std::string, std::less<>> paths_; // of entries_, for parents and has()
};

// Gzip-compresses data (used for layers and archives).
Result<std::string> gzip(std::string_view data);

} // namespace faasd::image
