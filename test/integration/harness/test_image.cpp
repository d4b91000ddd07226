#include "test_image.hpp"

#include "image/store.hpp"

#include <nlohmann/json.hpp>

namespace faasd::testing {

Result<image::Layer> busyboxLayer() {
    image::LayerBuilder builder;
    TRY(builder.addHostFile("/bin/busybox", kBusybox));
    for (const char* applet : {"sh", "echo", "cat", "sleep", "ls", "id", "env", "true", "false",
                               "httpd", "nc", "wc", "head"}) {
        builder.addSymlink(fmt::format("/bin/{}", applet), "busybox");
    }
    builder.addDirectory("/tmp", 01777);
    builder.addDirectory("/proc");
    builder.addDirectory("/sys");
    builder.addDirectory("/dev");
    builder.addDirectory("/etc");
    builder.addFile("/etc/passwd",
                    "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    builder.addFile("/etc/group", "root:x:0:\napp:x:1000:\n");
    return builder.build();
}

Result<containerd::Image> storeBusyboxImage(const containerd::Client& client,
                                            const std::string& name,
                                            const std::vector<std::string>& cmd) {
    TRY_ASSIGN(auto layer, busyboxLayer());
    image::ImageConfig config;
    config.cmd = cmd;
    config.env = {"PATH=/bin"};
    config.workingDir = "/";
    return image::storeImage(client, name, config, {layer});
}

std::string minimalSpec(const std::string& id, const std::vector<std::string>& args) {
    using nlohmann::json;
    json spec = {{"ociVersion", "1.0.2"},
                 {"process",
                  {{"terminal", false},
                   {"user", {{"uid", 0}, {"gid", 0}}},
                   {"args", args},
                   {"env", {"PATH=/bin"}},
                   {"cwd", "/"},
                   {"capabilities",
                    {{"bounding", json::array()},
                     {"effective", json::array()},
                     {"permitted", json::array()}}},
                   {"noNewPrivileges", true}}},
                 {"root", {{"path", "rootfs"}, {"readonly", false}}},
                 {"hostname", "test"},
                 {"mounts",
                  {{{"destination", "/proc"}, {"type", "proc"}, {"source", "proc"}},
                   {{"destination", "/dev"},
                    {"type", "tmpfs"},
                    {"source", "tmpfs"},
                    {"options", {"nosuid", "strictatime", "mode=755", "size=65536k"}}},
                   {{"destination", "/sys"},
                    {"type", "sysfs"},
                    {"source", "sysfs"},
                    {"options", {"nosuid", "noexec", "nodev", "ro"}}}}},
                 {"linux",
                  {{"namespaces",
                    {{{"type", "pid"}},
                     {{"type", "ipc"}},
                     {{"type", "uts"}},
                     {{"type", "mount"}},
                     {{"type", "network"}}}},
                   {"cgroupsPath", "/faasd-it/" + id},
                   {"maskedPaths", {"/proc/kcore", "/proc/keys", "/proc/timer_list"}},
                   {"readonlyPaths", {"/proc/sys", "/proc/sysrq-trigger"}}}}};
    return spec.dump();
}

} // namespace faasd::testing
