#include "provider/spec.hpp"

#include "api/validate.hpp"
#include "provider/seccomp.hpp"

#include <charconv>
#include <nlohmann/json.hpp>
#include <sstream>

namespace faasd::provider {

using nlohmann::json;

namespace {

std::optional<uint32_t> parseId(std::string_view text) {
    uint32_t value = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

// Finds the entry whose name (field 0) or id (field 2) matches in
// /etc/passwd- or /etc/group-shaped text; returns its fields.
std::optional<std::vector<std::string>> findEntry(const std::string& text, std::string_view key,
                                                  bool byId) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') {
            continue;
        }
        std::vector<std::string> fields;
        std::istringstream fs(line);
        for (std::string field; std::getline(fs, field, ':');) {
            fields.push_back(field);
        }
        if (fields.size() < 3) {
            continue;
        }
        if ((byId ? fields[2] : fields[0]) == key) {
            return fields;
        }
    }
    return std::nullopt;
}

json mount(std::string destination, std::string type, std::string source,
           std::vector<std::string> options) {
    return {{"destination", std::move(destination)},
            {"type", std::move(type)},
            {"source", std::move(source)},
            {"options", std::move(options)}};
}

json bindMount(const std::string& source, const std::string& destination, bool readOnly) {
    std::vector<std::string> options = {"rbind", "rprivate", "nosuid", "nodev", "noexec"};
    options.push_back(readOnly ? "ro" : "rw");
    return mount(destination, "bind", source, options);
}

} // namespace

const std::vector<std::string>& defaultCapabilities() {
    static const std::vector<std::string> caps = {
        "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
        "CAP_SETGID", "CAP_SETUID",       "CAP_NET_BIND_SERVICE", "CAP_KILL",
    };
    return caps;
}

const std::vector<std::string>& maskedPaths() {
    static const std::vector<std::string> paths = {
        "/proc/acpi",
        "/proc/asound",
        "/proc/kcore",
        "/proc/keys",
        "/proc/latency_stats",
        "/proc/timer_list",
        "/proc/timer_stats",
        "/proc/sched_debug",
        "/proc/scsi",
        "/sys/firmware",
        "/sys/devices/virtual/powercap",
    };
    return paths;
}

const std::vector<std::string>& readonlyPaths() {
    static const std::vector<std::string> paths = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger",
    };
    return paths;
}

bool userNeedsLookup(std::string_view user) {
    if (user.empty()) {
        return false;
    }
    auto colon = user.find(':');
    if (colon == std::string_view::npos) {
        return true; // a name, or a uid whose gid comes from passwd
    }
    return !parseId(user.substr(0, colon)) || !parseId(user.substr(colon + 1));
}

Result<User> resolveUser(std::string_view user, const std::optional<std::string>& passwd,
                         const std::optional<std::string>& group) {
    if (user.empty()) {
        return User{};
    }
    auto colon = user.find(':');
    std::string_view userPart = user.substr(0, colon);
    std::optional<std::string_view> groupPart;
    if (colon != std::string_view::npos) {
        groupPart = user.substr(colon + 1);
    }
    if (userPart.empty()) {
        return fail(Code::InvalidArgument, "user \"{}\" names no user", user);
    }
    User out;
    std::optional<std::vector<std::string>> entry;
    if (auto uid = parseId(userPart)) {
        out.uid = *uid;
        if (passwd) {
            entry = findEntry(*passwd, userPart, true);
        }
    } else {
        if (passwd) {
            entry = findEntry(*passwd, userPart, false);
        }
        if (!entry) {
            return fail(Code::FailedPrecondition, "user \"{}\" is not in the image's /etc/passwd",
                        userPart);
        }
        auto entryUid = parseId((*entry)[2]);
        if (!entryUid) {
            return fail(Code::FailedPrecondition,
                        "the image's /etc/passwd entry for \"{}\" has "
                        "no numeric uid",
                        userPart);
        }
        out.uid = *entryUid;
    }
    if (!groupPart) {
        if (entry && entry->size() > 3) {
            out.gid = parseId((*entry)[3]).value_or(0);
        }
        return out;
    }
    if (auto gid = parseId(*groupPart)) {
        out.gid = *gid;
        return out;
    }
    std::optional<std::vector<std::string>> g;
    if (group) {
        g = findEntry(*group, *groupPart, false);
    }
    if (!g || !parseId((*g)[2])) {
        return fail(Code::FailedPrecondition, "group \"{}\" is not in the image's /etc/group",
                    *groupPart);
    }
    out.gid = *parseId((*g)[2]);
    return out;
}

std::vector<std::string> mergeEnv(const std::vector<std::string>& imageEnv,
                                  const std::string& envProcess, const api::StringMap& envVars) {
    std::vector<std::string> out;
    auto set = [&](std::string_view key, std::string_view value) {
        std::string entry = fmt::format("{}={}", key, value);
        for (auto& existing : out) {
            if (existing.size() > key.size() && existing.compare(0, key.size(), key) == 0 &&
                existing[key.size()] == '=') {
                existing = std::move(entry);
                return;
            }
        }
        out.push_back(std::move(entry));
    };
    for (const auto& e : imageEnv) {
        auto eq = e.find('=');
        if (eq == std::string::npos) {
            set(e, "");
        } else {
            set(std::string_view(e).substr(0, eq), std::string_view(e).substr(eq + 1));
        }
    }
    if (!envProcess.empty()) {
        set("fprocess", envProcess);
    }
    for (const auto& [k, v] : envVars) {
        set(k, v);
    }
    bool hasPath = false;
    for (const auto& e : out) {
        hasPath = hasPath || e.starts_with("PATH=");
    }
    if (!hasPath) {
        out.insert(out.begin(),
                   "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    }
    return out;
}

std::string fprocessOf(const std::vector<std::string>& env) {
    std::string out;
    for (const auto& e : env) {
        if (e.starts_with("fprocess=")) {
            out = e.substr(std::string_view("fprocess=").size());
        }
    }
    return out;
}

std::string runProcess(const image::ImageConfig& image, const api::FunctionDeployment& d) {
    return fprocessOf(mergeEnv(image.env, d.envProcess, d.envVars));
}

std::optional<std::string> specProcess(std::string_view spec) {
    const json parsed = json::parse(spec, nullptr, false);
    if (parsed.is_discarded() || !parsed.is_object()) {
        return std::nullopt;
    }
    auto process = parsed.find("process");
    if (process == parsed.end() || !process->is_object()) {
        return std::nullopt;
    }
    auto env = process->find("env");
    if (env == process->end() || !env->is_array()) {
        return std::nullopt;
    }
    std::vector<std::string> entries;
    for (const auto& e : *env) {
        if (e.is_string()) {
            entries.push_back(e.get<std::string>());
        }
    }
    return fprocessOf(entries);
}

Result<CgroupLimits> cgroupLimits(const std::optional<api::Resources>& limits,
                                  const std::optional<api::Resources>& requests) {
    CgroupLimits out;
    if (limits && !limits->memory.empty()) {
        TRY_ASSIGN(auto bytes, withContext(api::parseMemory(limits->memory), "limits.memory"));
        out.memoryBytes = bytes;
    }
    if (limits && !limits->cpu.empty()) {
        TRY_ASSIGN(auto milli, withContext(api::parseCpu(limits->cpu), "limits.cpu"));
        // 1000 millicores = one full period; the kernel wants >= 1000 us.
        out.cpuQuota = std::max<int64_t>(1000, milli * kCpuPeriod / 1000);
    }
    if (requests && !requests->memory.empty()) {
        TRY_ASSIGN(auto bytes, withContext(api::parseMemory(requests->memory), "requests.memory"));
        out.memoryReservation = bytes;
    }
    if (requests && !requests->cpu.empty()) {
        TRY_ASSIGN(auto milli, withContext(api::parseCpu(requests->cpu), "requests.cpu"));
        out.cpuShares = std::max<uint64_t>(2, static_cast<uint64_t>(milli) * 1024 / 1000);
    }
    if (out.memoryBytes && out.memoryReservation && *out.memoryReservation > *out.memoryBytes) {
        return fail(Code::InvalidArgument, "requests.memory {} is above limits.memory {}",
                    requests->memory, limits->memory);
    }
    return out;
}

Result<std::string> generateSpec(const SpecInput& in) {
    const auto& img = *in.image;
    const auto& d = *in.deployment;
    std::vector<std::string> args = img.entrypoint;
    args.insert(args.end(), img.cmd.begin(), img.cmd.end());
    if (args.empty()) {
        return fail(Code::InvalidArgument, "image {} has neither Entrypoint nor Cmd", d.image);
    }
    TRY_ASSIGN(auto limits, cgroupLimits(d.limits, d.requests));
    TRY_ASSIGN(const bool seccomp, seccompWanted(d.annotations));

    const auto& caps = defaultCapabilities();
    json process = {
        {"terminal", false},
        {"user", {{"uid", in.user.uid}, {"gid", in.user.gid}}},
        {"args", args},
        {"env", mergeEnv(img.env, d.envProcess, d.envVars)},
        {"cwd", img.workingDir.empty() ? "/" : img.workingDir},
        {"capabilities", {{"bounding", caps}, {"effective", caps}, {"permitted", caps}}},
        {"rlimits", {{{"type", "RLIMIT_NOFILE"}, {"hard", 1024}, {"soft", 1024}}}},
        {"noNewPrivileges", true},
    };

    json mounts = json::array({
        mount("/proc", "proc", "proc", {"nosuid", "noexec", "nodev"}),
        mount("/dev", "tmpfs", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}),
        mount("/dev/pts", "devpts", "devpts",
              {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}),
        mount("/dev/shm", "tmpfs", "shm",
              {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}),
        mount("/dev/mqueue", "mqueue", "mqueue", {"nosuid", "noexec", "nodev"}),
        // A new sysfs needs the network namespace to belong to the user
        // namespace; a user-namespaced replica joins one the host's owns,
        // so it sees the host's sysfs through a read-only recursive bind, as
        // rootless containers do.
        in.userns ? mount("/sys", "bind", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"})
                  : mount("/sys", "sysfs", "sysfs", {"nosuid", "noexec", "nodev", "ro"}),
        mount("/sys/fs/cgroup", "cgroup", "cgroup",
              {"nosuid", "noexec", "nodev", "relatime", "ro"}),
        mount("/tmp", "tmpfs", "tmpfs", {"nosuid", "nodev", "mode=1777", "size=65536k"}),
        bindMount(in.resolvConfPath, "/etc/resolv.conf", true),
        bindMount(in.hostsPath, "/etc/hosts", true),
    });
    if (!in.secretsDir.empty()) {
        mounts.push_back(bindMount(in.secretsDir, kSecretsMountPath, true));
    }

    json resources = {{"devices", {{{"allow", false}, {"access", "rwm"}}}}};
    json memory = json::object();
    if (limits.memoryBytes) {
        memory["limit"] = *limits.memoryBytes;
    }
    if (limits.memoryReservation) {
        memory["reservation"] = *limits.memoryReservation;
    }
    if (!memory.empty()) {
        resources["memory"] = memory;
    }
    json cpu = json::object();
    if (limits.cpuQuota) {
        cpu["quota"] = *limits.cpuQuota;
        cpu["period"] = kCpuPeriod;
    }
    if (limits.cpuShares) {
        cpu["shares"] = *limits.cpuShares;
    }
    if (!cpu.empty()) {
        resources["cpu"] = cpu;
    }
    if (in.pidsLimit > 0) {
        resources["pids"] = {{"limit", in.pidsLimit}};
    }

    json network = {{"type", "network"}};
    if (!in.netnsPath.empty()) {
        network["path"] = in.netnsPath;
    }
    json namespaces = {
        {{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}, network};
    json spec = {
        {"ociVersion", "1.0.2"},
        {"process", process},
        {"root", {{"path", "rootfs"}, {"readonly", d.readOnlyRootFilesystem}}},
        {"hostname", in.hostname},
        {"mounts", mounts},
        {"linux",
         {{"namespaces", namespaces},
          {"cgroupsPath", in.cgroupsPath},
          {"resources", resources},
          {"maskedPaths", maskedPaths()},
          {"readonlyPaths", readonlyPaths()}}},
    };
    if (seccomp) {
        spec["linux"]["seccomp"] = seccompProfile();
    }
    if (in.userns) {
        json map = json::array(
            {{{"containerID", 0}, {"hostID", in.userns->hostStart}, {"size", in.userns->count}}});
        spec["linux"]["namespaces"].push_back({{"type", "user"}});
        spec["linux"]["uidMappings"] = map;
        spec["linux"]["gidMappings"] = map;
    }
    return spec.dump();
}

} // namespace faasd::provider
