#include "image/builder.hpp"

#include "common/files.hpp"
#include "common/scope_exit.hpp"
#include "common/subprocess.hpp"
#include "image/archive.hpp"
#include "image/digest.hpp"
#include "image/libarchive.hpp"
#include "image/reference.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace faasd::image {
namespace fs = std::filesystem;

namespace {

constexpr int64_t kSecond = 1'000'000'000;

std::string joinPath(const std::string& dir, const std::string& name) {
    return dir.empty() || dir.back() == '/' ? dir + name : dir + "/" + name;
}

Result<void> addTree(LayerBuilder& layer, const std::string& path, const fs::path& host) {
    struct stat st {};
    if (::lstat(host.c_str(), &st) != 0) {
        return fail(systemError(fmt::format("packing {}", host.string()), errno));
    }
    if (S_ISLNK(st.st_mode)) {
        std::error_code ec;
        auto target = fs::read_symlink(host, ec);
        if (ec) {
            return fail(Code::Internal, "packing {}: {}", host.string(), ec.message());
        }
        layer.addSymlink(path, target.string());
        return {};
    }
    if (S_ISDIR(st.st_mode)) {
        // The image's root and the folders every function image has keep
        // their owner and mode (/home/app belongs to the function's user).
        if (path == kFunctionHome) {
            if (!layer.has(path)) {
                layer.addDirectory(path, 0755, kFunctionUid, kFunctionUid);
            }
        } else if (path == "/tmp") {
            if (!layer.has(path)) {
                layer.addDirectory(path, 01777);
            }
        } else if (path != "/" && !layer.has(path)) {
            layer.addDirectory(path, 0755);
        }
        std::vector<std::string> names;
        std::error_code ec;
        for (fs::directory_iterator it(host, ec), end; !ec && it != end; it.increment(ec)) {
            names.push_back(it->path().filename().string());
        }
        if (ec) {
            return fail(Code::Internal, "packing {}: {}", host.string(), ec.message());
        }
        std::sort(names.begin(), names.end());
        for (const auto& name : names) {
            TRY(addTree(layer, joinPath(path, name), host / name));
        }
        return {};
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(Code::InvalidArgument, "packing {}: not a file, directory or symlink",
                    host.string());
    }
    TRY_ASSIGN(auto content, readFile(host));
    layer.addFile(path, std::move(content), (st.st_mode & 0111) ? 0755 : 0644);
    return {};
}

// busybox and a link per applet ("bin/sh" -> /bin/busybox), from its own list.
Result<void> addBusybox(LayerBuilder& layer, const fs::path& busybox) {
    const std::string what = fmt::format("packing busybox from {}", busybox.string());
    TRY_ASSIGN(bool isStatic, withContext(isStaticExecutable(busybox), what));
    if (!isStatic) {
        return fail(Code::FailedPrecondition,
                    "{}: it is linked dynamically; install busybox-static", what);
    }
    TRY_ASSIGN(auto listed, withContext(run({.argv = {busybox.string(), "--list-full"}}, "",
                                            std::chrono::seconds(10)),
                                        what));
    if (listed.status != 0) {
        return fail(Code::FailedPrecondition, "{}: busybox --list-full exited {}", what,
                    listed.status);
    }
    std::vector<std::string> applets;
    size_t start = 0;
    while (start < listed.out.size()) {
        size_t end = listed.out.find('\n', start);
        if (end == std::string::npos) {
            end = listed.out.size();
        }
        std::string line = listed.out.substr(start, end - start);
        start = end + 1;
        if (!line.empty() && line != "bin/busybox" && line.find("..") == std::string::npos) {
            applets.push_back("/" + line);
        }
    }
    std::sort(applets.begin(), applets.end());
    TRY_ASSIGN(auto content, withContext(readFile(busybox), what));
    layer.addFile("/bin/busybox", std::move(content), 0755);
    for (const auto& applet : applets) {
        layer.addSymlink(applet, "/bin/busybox");
    }
    return {};
}

Result<void> writeEntry(struct archive* a, const std::string& path, std::string_view data,
                        bool directory) {
    ArchiveEntry entry(archive_entry_new());
    archive_entry_set_pathname(entry.get(), path.c_str());
    archive_entry_set_filetype(entry.get(), directory ? AE_IFDIR : AE_IFREG);
    archive_entry_set_perm(entry.get(), directory ? 0755 : 0644);
    archive_entry_set_size(entry.get(), directory ? 0 : static_cast<la_int64_t>(data.size()));
    archive_entry_set_mtime(entry.get(), 0, 0);
    archive_entry_set_uid(entry.get(), 0);
    archive_entry_set_gid(entry.get(), 0);
    if (archive_write_header(a, entry.get()) != ARCHIVE_OK) {
        return fail(Code::Internal, "writing {}: {}", path, archive_error_string(a));
    }
    while (!data.empty()) {
        la_ssize_t n = archive_write_data(a, data.data(), data.size());
        if (n < 0) {
            return fail(Code::Internal, "writing {}: {}", path, archive_error_string(a));
        }
        data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

// Whether an ELF image names a program interpreter (PT_INTERP: dynamically
// linked); nullopt when it is truncated.
template <typename Ehdr, typename Phdr>
std::optional<bool> hasInterpreter(const std::string& content) {
    if (content.size() < sizeof(Ehdr)) {
        return std::nullopt;
    }
    Ehdr h;
    std::memcpy(&h, content.data(), sizeof h);
    for (size_t i = 0; i < h.e_phnum; ++i) {
        const size_t off = h.e_phoff + i * h.e_phentsize;
        if (off + sizeof(Phdr) > content.size()) {
            return std::nullopt;
        }
        Phdr p;
        std::memcpy(&p, content.data() + off, sizeof p);
        if (p.p_type == PT_INTERP) {
            return true;
        }
    }
    return false;
}

std::string blobFile(const std::string& digest) {
    return "blobs/sha256/" + digest.substr(digest.find(':') + 1);
}

} // namespace

BuiltImage assembleImage(ImageConfig config, std::vector<Layer> layers) {
    BuiltImage out;
    Manifest manifest;
    config.diffIds.clear();
    for (const auto& layer : layers) {
        config.diffIds.push_back(layer.diffId);
        manifest.layers.push_back(layer.descriptor());
    }
    out.configJson = toJson(config);
    out.configDescriptor = Descriptor{std::string(media::kOciConfig),
                                      sha256Digest(out.configJson),
                                      static_cast<int64_t>(out.configJson.size()),
                                      {}};
    manifest.config = out.configDescriptor;
    out.manifestJson = toJson(manifest);
    out.manifestDescriptor = Descriptor{std::string(media::kOciManifest),
                                        sha256Digest(out.manifestJson),
                                        static_cast<int64_t>(out.manifestJson.size()),
                                        {}};
    out.config = std::move(config);
    out.layers = std::move(layers);
    return out;
}

Result<void> addHostTree(LayerBuilder& layer, const std::string& path, const fs::path& host) {
    return addTree(layer, path, host);
}

Result<BuiltImage> buildFunctionImage(const FunctionImageSpec& spec) {
    if (spec.fprocess.empty()) {
        return fail(Code::InvalidArgument, "building a function image: no fprocess");
    }
    // The runtime layer: what every function image has.
    LayerBuilder runtime;
    if (spec.busybox) {
        TRY(addBusybox(runtime, *spec.busybox));
    }
    runtime.addDirectory("/dev").addDirectory("/proc").addDirectory("/sys");
    runtime.addFile("/etc/group", "root:x:0:\napp:x:1000:\n");
    runtime.addFile("/etc/passwd", "root:x:0:0:root:/root:/sbin/nologin\n"
                                   "app:x:1000:1000:app:/home/app:/sbin/nologin\n");
    runtime.addDirectory(std::string(kFunctionHome), 0755, kFunctionUid, kFunctionUid);
    runtime.addDirectory("/tmp", 01777);
    {
        const std::string what = fmt::format("packing fwatchdog from {}", spec.watchdog.string());
        TRY_ASSIGN(bool isStatic, withContext(isStaticExecutable(spec.watchdog), what));
        if (!isStatic) {
            return fail(Code::FailedPrecondition, "{}: it is not a static executable", what);
        }
        TRY_ASSIGN(auto content, withContext(readFile(spec.watchdog), what));
        runtime.addFile(std::string(kWatchdogPath), std::move(content), 0755);
    }

    // The function's layers, one per name in order of first use; entries
    // sorted by path within each.
    std::vector<std::string> order;
    std::map<std::string, std::vector<ImageFile>> byLayer;
    for (const auto& f : spec.files) {
        if (f.path.empty() || f.path.front() != '/') {
            return fail(Code::InvalidArgument,
                        "packing {}: {} is not an absolute path in the image", f.host.string(),
                        f.path);
        }
        if (!byLayer.count(f.layer)) {
            order.push_back(f.layer);
        }
        byLayer[f.layer].push_back(f);
    }
    std::vector<Layer> layers;
    TRY_ASSIGN(auto runtimeLayer, withContext(runtime.build(), "building the runtime layer"));
    layers.push_back(std::move(runtimeLayer));
    for (const auto& name : order) {
        auto& files = byLayer[name];
        std::sort(files.begin(), files.end(),
                  [](const ImageFile& a, const ImageFile& b) { return a.path < b.path; });
        LayerBuilder layer;
        const std::string home(kFunctionHome);
        for (const auto& f : files) {
            if (f.path == "/" || f.path.rfind(home + "/", 0) == 0) {
                layer.addDirectory(home, 0755, kFunctionUid, kFunctionUid);
                break;
            }
        }
        for (const auto& f : files) {
            TRY(addTree(layer, f.path, f.host));
        }
        TRY_ASSIGN(auto built,
                   withContext(layer.build(), fmt::format("building the {} layer", name)));
        layers.push_back(std::move(built));
    }

    ImageConfig config;
    const Platform platform = hostPlatform();
    config.architecture = platform.architecture;
    config.os = platform.os;
    std::map<std::string, std::string> env = {
        {"PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
        {"HOME", std::string(kFunctionHome)},
    };
    for (const auto& [k, v] : spec.env) {
        env[k] = v;
    }
    env["fprocess"] = spec.fprocess;
    env["mode"] = spec.mode;
    for (const auto& [k, v] : env) {
        config.env.push_back(k + "=" + v);
    }
    config.cmd = {std::string(kWatchdogPath)};
    config.workingDir = std::string(kFunctionHome);
    config.user = std::string(kFunctionUser);
    config.exposedPorts = {"8080/tcp"};
    config.labels = spec.labels;
    // Healthy while fwatchdog's lock file (/tmp/.lock) exists.
    config.healthcheck = Healthcheck{
        {"CMD", std::string(kWatchdogPath), "--run-healthcheck"}, 5 * kSecond, 3 * kSecond, 0, 3};
    return assembleImage(std::move(config), std::move(layers));
}

Result<void> writeOciArchive(const BuiltImage& image, const std::string& name,
                             const fs::path& path) {
    const std::string what = fmt::format("writing {} to {}", name, path.string());
    Labels annotations{{std::string(kAnnotationImageName), name}};
    if (auto ref = parseReference(name); ref && !ref->tag.empty()) {
        annotations[std::string(kAnnotationRefName)] = ref->tag;
    }
    nlohmann::json index = {{"schemaVersion", 2},
                            {"mediaType", media::kOciIndex},
                            {"manifests",
                             {{{"mediaType", image.manifestDescriptor.mediaType},
                               {"digest", image.manifestDescriptor.digest},
                               {"size", image.manifestDescriptor.size},
                               {"annotations", annotations}}}}};
    std::vector<std::pair<std::string, std::string_view>> blobs;
    blobs.emplace_back(image.manifestDescriptor.digest, image.manifestJson);
    blobs.emplace_back(image.configDescriptor.digest, image.configJson);
    for (const auto& l : image.layers) {
        blobs.emplace_back(l.digest, l.blob);
    }
    std::sort(blobs.begin(), blobs.end());
    blobs.erase(std::unique(blobs.begin(), blobs.end(),
                            [](const auto& a, const auto& b) { return a.first == b.first; }),
                blobs.end());

    const auto tmp = path.string() + ".partial";
    ArchiveWriter a(archive_write_new());
    archive_write_set_format_pax_restricted(a.get());
    if (archive_write_open_filename(a.get(), tmp.c_str()) != ARCHIVE_OK) {
        return fail(Code::Internal, "{}: creating {}: {}", what, tmp,
                    archive_error_string(a.get()));
    }
    ScopeExit removeTmp([&] {
        std::error_code ec;
        fs::remove(tmp, ec);
    });
    TRY(withContext(writeEntry(a.get(), "blobs/", "", true), what));
    TRY(withContext(writeEntry(a.get(), "blobs/sha256/", "", true), what));
    for (const auto& [digest, data] : blobs) {
        TRY(withContext(writeEntry(a.get(), blobFile(digest), data, false), what));
    }
    TRY(withContext(writeEntry(a.get(), "index.json", index.dump(), false), what));
    TRY(withContext(writeEntry(a.get(), "oci-layout", R"({"imageLayoutVersion":"1.0.0"})", false),
                    what));
    if (archive_write_close(a.get()) != ARCHIVE_OK) {
        return fail(Code::Internal, "{}: closing {}: {}", what, tmp, archive_error_string(a.get()));
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) {
        return fail(Code::Internal, "{}: renaming {}: {}", what, tmp, ec.message());
    }
    removeTmp.release();
    return {};
}

Result<bool> isStaticExecutable(const fs::path& path) {
    TRY_ASSIGN(auto content, readFile(path));
    if (content.size() < EI_NIDENT || content.compare(0, SELFMAG, ELFMAG) != 0) {
        return fail(Code::InvalidArgument, "{} is not an ELF executable", path.string());
    }
    auto interp = content[EI_CLASS] == ELFCLASS64 ? hasInterpreter<Elf64_Ehdr, Elf64_Phdr>(content)
                                                  : hasInterpreter<Elf32_Ehdr, Elf32_Phdr>(content);
    if (!interp) {
        return fail(Code::InvalidArgument, "{} is a truncated ELF file", path.string());
    }
    return !*interp;
}

} // namespace faasd::image
