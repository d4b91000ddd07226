#include "provider/labels.hpp"
#include "provider/seccomp.hpp"
#include "provider/spec.hpp"
#include "provider/userns.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace faasd;
using namespace faasd::provider;
using nlohmann::json;

namespace {

json specOf(const api::FunctionDeployment& d) {
    image::ImageConfig img;
    img.cmd = {"/fwatchdog"};
    SpecInput in{.id = "f-1",
                 .hostname = d.service,
                 .image = &img,
                 .deployment = &d,
                 .resolvConfPath = "/s/resolv.conf",
                 .hostsPath = "/s/hosts"};
    auto spec = generateSpec(in);
    REQUIRE(spec);
    return json::parse(*spec);
}

bool allowed(std::string_view name) {
    const auto& list = seccompAllowed();
    return std::binary_search(list.begin(), list.end(), name);
}

// The rule of the profile naming only this call, or nullptr.
const json* ruleFor(const json& profile, const std::string& name) {
    for (const auto& rule : profile["syscalls"]) {
        if (rule["names"] == json::array({name})) {
            return &rule;
        }
    }
    return nullptr;
}

} // namespace

TEST_CASE("every function gets the seccomp filter unless it opts out", "[provider][seccomp]") {
    api::FunctionDeployment d{.service = "f", .image = "f:1", .ns = "openfaas-fn"};
    auto spec = specOf(d);
    REQUIRE(spec["linux"].contains("seccomp"));
    CHECK(spec["linux"]["seccomp"] == seccompProfile());

    d.annotations[std::string(kSeccompAnnotation)] = "default";
    CHECK(specOf(d)["linux"].contains("seccomp"));

    d.annotations[std::string(kSeccompAnnotation)] = "unconfined";
    spec = specOf(d);
    CHECK_FALSE(spec["linux"].contains("seccomp"));
    // The opt-out is about seccomp only.
    CHECK(spec["process"]["noNewPrivileges"] == true);
    CHECK(spec["linux"]["maskedPaths"] == json(maskedPaths()));
}

TEST_CASE("an unknown seccomp value is refused naming the annotation", "[provider][seccomp]") {
    api::FunctionDeployment d{.service = "f", .image = "f:1", .ns = "openfaas-fn"};
    d.annotations[std::string(kSeccompAnnotation)] = "Unconfined";
    auto checked = validateDeployment(d);
    REQUIRE_FALSE(checked);
    CHECK(checked.error().code() == Code::InvalidArgument);
    CHECK(checked.error().message() ==
          "com.openfaas.security.seccomp: \"Unconfined\" is not one of default, unconfined");

    image::ImageConfig img;
    img.cmd = {"x"};
    SpecInput in{.image = &img, .deployment = &d};
    CHECK_FALSE(generateSpec(in));

    d.annotations[std::string(kSeccompAnnotation)] = "unconfined";
    CHECK(validateDeployment(d));
}

TEST_CASE("the profile refuses by default with EPERM", "[provider][seccomp]") {
    auto profile = seccompProfile();
    CHECK(profile["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK(profile["defaultErrnoRet"] == 1);
    CHECK_FALSE(profile["architectures"].empty());
    // Every rule allows, except clone3's ENOSYS.
    for (const auto& rule : profile["syscalls"]) {
        if (rule["names"] == json::array({"clone3"})) {
            CHECK(rule["action"] == "SCMP_ACT_ERRNO");
            CHECK(rule["errnoRet"] == 38);
        } else {
            CHECK(rule["action"] == "SCMP_ACT_ALLOW");
        }
    }
}

TEST_CASE("the dangerous calls are not allowed", "[provider][seccomp]") {
    for (const auto& refused : seccompRefused()) {
        INFO(refused.name);
        CHECK_FALSE(allowed(refused.name));
        CHECK_FALSE(refused.why.empty());
    }
    for (const char* name : {"init_module", "mount", "umount2", "settimeofday", "clock_settime",
                             "ptrace", "kexec_load", "bpf", "perf_event_open", "keyctl", "reboot",
                             "swapon", "unshare", "setns", "open_by_handle_at"}) {
        INFO(name);
        CHECK_FALSE(allowed(name));
    }
    // What every program needs is there.
    for (const char* name : {"read", "write", "openat", "execve", "mmap", "futex", "epoll_wait",
                             "accept4", "clock_gettime", "exit_group", "rt_sigreturn"}) {
        INFO(name);
        CHECK(allowed(name));
    }
}

TEST_CASE("clone may not make namespaces; personality only harmless personas",
          "[provider][seccomp]") {
    auto profile = seccompProfile();
    CHECK_FALSE(allowed("clone"));
    const json* clone = ruleFor(profile, "clone");
    REQUIRE(clone);
    REQUIRE((*clone)["args"].size() == 1);
    const auto& arg = (*clone)["args"][0];
    CHECK(arg["op"] == "SCMP_CMP_MASKED_EQ");
    CHECK(arg["value"] == 0x7E020000);
    CHECK(arg["valueTwo"] == 0);
    CHECK(arg["index"] == 0);

    CHECK_FALSE(allowed("personality"));
    std::vector<uint64_t> personas;
    for (const auto& rule : profile["syscalls"]) {
        if (rule["names"] == json::array({"personality"})) {
            REQUIRE(rule["args"].size() == 1);
            CHECK(rule["args"][0]["op"] == "SCMP_CMP_EQ");
            personas.push_back(rule["args"][0]["value"]);
        }
    }
    CHECK(personas == std::vector<uint64_t>{0x0, 0x8, 0x20000, 0x20008, 0xffffffff});
}

TEST_CASE("the sandbox's capabilities and hidden paths", "[provider][seccomp]") {
    const auto& caps = defaultCapabilities();
    for (const char* cap : {"CAP_SYS_ADMIN", "CAP_NET_RAW", "CAP_NET_ADMIN", "CAP_SYS_PTRACE",
                            "CAP_SYS_MODULE", "CAP_SYS_TIME", "CAP_MKNOD", "CAP_SETFCAP"}) {
        INFO(cap);
        CHECK(std::find(caps.begin(), caps.end(), cap) == caps.end());
    }
    for (const char* path : {"/proc/kcore", "/proc/keys", "/sys/firmware"}) {
        CHECK(std::find(maskedPaths().begin(), maskedPaths().end(), path) != maskedPaths().end());
    }
    for (const char* path : {"/proc/sys", "/proc/sysrq-trigger"}) {
        CHECK(std::find(readonlyPaths().begin(), readonlyPaths().end(), path) !=
              readonlyPaths().end());
    }
}

TEST_CASE("the user-namespaced mode maps the function's ids", "[provider][userns]") {
    api::FunctionDeployment d{.service = "f", .image = "f:1", .ns = "openfaas-fn"};
    auto plain = specOf(d);
    CHECK_FALSE(plain["linux"].contains("uidMappings"));
    for (const auto& ns : plain["linux"]["namespaces"]) {
        CHECK(ns["type"] != "user");
    }

    image::ImageConfig img;
    img.cmd = {"/fwatchdog"};
    SpecInput in{.image = &img, .deployment = &d, .userns = IdRange{200000, 65536}};
    auto spec = json::parse(generateSpec(in).value());
    const json map = json::array({{{"containerID", 0}, {"hostID", 200000}, {"size", 65536}}});
    CHECK(spec["linux"]["uidMappings"] == map);
    CHECK(spec["linux"]["gidMappings"] == map);
    bool user = false;
    for (const auto& ns : spec["linux"]["namespaces"]) {
        user = user || ns["type"] == "user";
    }
    CHECK(user);
    CHECK(spec["linux"].contains("seccomp")); // the rest of the sandbox stays
    // sysfs cannot be mounted for a network namespace the host's user
    // namespace owns: the host's, read-only, recursively (the kernel
    // refuses a plain bind of a tree with locked submounts).
    const json* sys = nullptr;
    for (const auto& m : spec["mounts"]) {
        if (m["destination"] == "/sys") {
            sys = &m;
        }
    }
    REQUIRE(sys);
    CHECK((*sys)["type"] == "bind");
    CHECK((*sys)["source"] == "/sys");
    CHECK((*sys)["options"] == json({"rbind", "nosuid", "noexec", "nodev", "ro"}));

    CHECK(parseIdRange("200000:65536").value() == IdRange{200000, 65536});
    for (const char* bad :
         {"", "200000", "0:65536", "1:100", "x:65536", "4294967000:65536", "200000:65536:1"}) {
        INFO(bad);
        CHECK_FALSE(parseIdRange(bad));
    }
    CHECK(remappedName("sha256:abc", {200000, 65536}) == "sha256:abc-userns-200000-65536");
}
