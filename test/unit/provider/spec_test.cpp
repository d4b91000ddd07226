#include "provider/spec.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace faasd;
using namespace faasd::provider;
using nlohmann::json;

namespace {

const std::string kPasswd = "root:x:0:0:root:/root:/bin/sh\n"
                            "# comment\n"
                            "app:x:1000:1001::/home/app:/bin/sh\n";
const std::string kGroup = "root:x:0:\nstaff:x:50:\napp:x:1001:\n";

json specFor(const api::FunctionDeployment& d, const image::ImageConfig& img,
             const std::string& secrets = "") {
    SpecInput in{.id = "say-abc",
                 .hostname = d.service,
                 .image = &img,
                 .deployment = &d,
                 .user = {1000, 1001},
                 .netnsPath = "/run/netns/x",
                 .cgroupsPath = "/faasd/openfaas-fn/say-abc",
                 .resolvConfPath = "/state/resolv.conf",
                 .hostsPath = "/state/hosts",
                 .secretsDir = secrets,
                 .pidsLimit = 100};
    auto spec = generateSpec(in);
    REQUIRE(spec);
    return json::parse(*spec);
}

const json* findMount(const json& spec, const std::string& dest) {
    for (const auto& m : spec["mounts"]) {
        if (m["destination"] == dest) {
            return &m;
        }
    }
    return nullptr;
}

} // namespace

TEST_CASE("users resolve by name, uid and group like Docker", "[provider][spec]") {
    CHECK(resolveUser("", kPasswd, kGroup).value() == User{0, 0});
    CHECK(resolveUser("app", kPasswd, kGroup).value() == User{1000, 1001});
    CHECK(resolveUser("1000", kPasswd, kGroup).value() == User{1000, 1001});
    CHECK(resolveUser("4242", kPasswd, kGroup).value() == User{4242, 0});
    CHECK(resolveUser("4242", std::nullopt, std::nullopt).value() == User{4242, 0});
    CHECK(resolveUser("app:staff", kPasswd, kGroup).value() == User{1000, 50});
    CHECK(resolveUser("1000:7", std::nullopt, std::nullopt).value() == User{1000, 7});
    CHECK(resolveUser("app:7", kPasswd, kGroup).value() == User{1000, 7});

    auto unknown = resolveUser("nobody", kPasswd, kGroup);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code() == Code::FailedPrecondition);
    CHECK(unknown.error().message() == "user \"nobody\" is not in the image's /etc/passwd");
    auto noPasswd = resolveUser("app", std::nullopt, std::nullopt);
    REQUIRE_FALSE(noPasswd);
    auto badGroup = resolveUser("app:wheel", kPasswd, kGroup);
    REQUIRE_FALSE(badGroup);
    CHECK(badGroup.error().message() == "group \"wheel\" is not in the image's /etc/group");

    CHECK_FALSE(userNeedsLookup(""));
    CHECK_FALSE(userNeedsLookup("1000:1000"));
    CHECK(userNeedsLookup("1000"));
    CHECK(userNeedsLookup("app"));
    CHECK(userNeedsLookup("1000:app"));
}

TEST_CASE("env: image, then fprocess, then the user's, replacing in place", "[provider][spec]") {
    auto env = mergeEnv({"PATH=/bin", "A=image", "fprocess=old"}, "cat",
                        {{"A", "user"}, {"B", "multi\nline"}});
    CHECK(env == std::vector<std::string>{"PATH=/bin", "A=user", "fprocess=cat", "B=multi\nline"});
    auto user = mergeEnv({}, "cat", {{"fprocess", "mine"}});
    CHECK(user.size() == 2);
    CHECK(user[0].starts_with("PATH=/usr/local/sbin:"));
    CHECK(user[1] == "fprocess=mine");
    CHECK(mergeEnv({"X"}, "", {}) ==
          std::vector<std::string>{
              "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "X="});
}

TEST_CASE("the process replicas run: envProcess, else the image's fprocess", "[provider][spec]") {
    image::ImageConfig img;
    img.cmd = {"fwatchdog"};
    img.env = {"PATH=/bin", "fprocess=node index.js", "mode=http"};
    api::FunctionDeployment d{.service = "say", .image = "say:1", .ns = "openfaas-fn"};
    CHECK(fprocessOf(img.env) == "node index.js");
    CHECK(fprocessOf({"fprocess=a", "fprocess=b=c"}) == "b=c");
    CHECK(fprocessOf({"FPROCESS=x", "fprocessor=y"}).empty());
    CHECK(runProcess(img, d) == "node index.js");
    d.envProcess = "cat";
    CHECK(runProcess(img, d) == "cat");
    // envVars come last in the replicas' env, so they would win too.
    d.envVars = {{"fprocess", "wc -l"}};
    CHECK(runProcess(img, d) == "wc -l");
    d.envVars.clear();

    // A replica's spec says the same (recovery of records without the label).
    SpecInput in{.id = "say-abc", .image = &img, .deployment = &d};
    auto spec = generateSpec(in);
    REQUIRE(spec);
    CHECK(specProcess(*spec) == "cat");
    d.envProcess.clear();
    spec = generateSpec(in);
    REQUIRE(spec);
    CHECK(specProcess(*spec) == runProcess(img, d));
    CHECK(specProcess(R"({"process":{"env":["PATH=/bin"]}})") == "");
    // A record's placeholder spec, and text that is not a spec: unknown.
    CHECK_FALSE(specProcess(R"({"ociVersion":"1.0.2"})"));
    CHECK_FALSE(specProcess(R"({"process":{"env":"fprocess=x"}})"));
    CHECK_FALSE(specProcess("not json"));
    CHECK_FALSE(specProcess(""));
}

TEST_CASE("limits and requests become cgroup values", "[provider][spec]") {
    auto l = cgroupLimits(api::Resources{.memory = "128Mi", .cpu = "500m"},
                          api::Resources{.memory = "64Mi", .cpu = "250m"});
    REQUIRE(l);
    CHECK(l->memoryBytes == 128 * 1024 * 1024);
    CHECK(l->cpuQuota == 50'000);
    CHECK(l->memoryReservation == 64 * 1024 * 1024);
    CHECK(l->cpuShares == 256);
    CHECK(cgroupLimits(api::Resources{.cpu = "2"}, std::nullopt)->cpuQuota == 200'000);
    CHECK(cgroupLimits(api::Resources{.cpu = "1m"}, std::nullopt)->cpuQuota == 1'000);
    auto none = cgroupLimits(std::nullopt, api::Resources{});
    REQUIRE(none);
    CHECK_FALSE(none->memoryBytes);
    CHECK_FALSE(none->cpuQuota);

    auto bad = cgroupLimits(api::Resources{.memory = "lots"}, std::nullopt);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::InvalidArgument);
    CHECK(bad.error().message().starts_with("limits.memory: "));
    auto badCpu = cgroupLimits(std::nullopt, api::Resources{.cpu = "fast"});
    REQUIRE_FALSE(badCpu);
    CHECK(badCpu.error().message().starts_with("requests.cpu: "));
    auto inverted = cgroupLimits(api::Resources{.memory = "64Mi"}, api::Resources{.memory = "1Gi"});
    REQUIRE_FALSE(inverted);
}

TEST_CASE("the spec carries process, mounts, namespaces and limits", "[provider][spec]") {
    api::FunctionDeployment d{.service = "say",
                              .image = "say:1",
                              .ns = "openfaas-fn",
                              .envProcess = "cat",
                              .envVars = {{"K", "v"}}};
    d.limits = api::Resources{.memory = "64Mi", .cpu = "250m"};
    image::ImageConfig img;
    img.entrypoint = {"/bin/fwatchdog"};
    img.cmd = {"-x"};
    img.env = {"PATH=/bin"};
    img.workingDir = "/home/app";

    auto spec = specFor(d, img);
    CHECK(spec["process"]["args"] == json({"/bin/fwatchdog", "-x"}));
    CHECK(spec["process"]["env"] == json({"PATH=/bin", "fprocess=cat", "K=v"}));
    CHECK(spec["process"]["cwd"] == "/home/app");
    CHECK(spec["process"]["user"]["uid"] == 1000);
    CHECK(spec["process"]["user"]["gid"] == 1001);
    CHECK(spec["process"]["noNewPrivileges"] == true);
    CHECK(spec["process"]["capabilities"]["bounding"].size() == defaultCapabilities().size());
    CHECK(spec["hostname"] == "say");
    CHECK(spec["root"]["readonly"] == false);
    const auto& linux = spec["linux"];
    CHECK(linux["cgroupsPath"] == "/faasd/openfaas-fn/say-abc");
    CHECK(linux["resources"]["memory"]["limit"] == 64 * 1024 * 1024);
    CHECK(linux["resources"]["cpu"]["quota"] == 25'000);
    CHECK(linux["resources"]["cpu"]["period"] == 100'000);
    CHECK(linux["resources"]["pids"]["limit"] == 100);
    bool netns = false;
    for (const auto& ns : linux["namespaces"]) {
        if (ns["type"] == "network") {
            netns = ns["path"] == "/run/netns/x";
        }
    }
    CHECK(netns);
    CHECK_FALSE(linux["maskedPaths"].empty());
    CHECK_FALSE(linux["readonlyPaths"].empty());
    for (const char* dest : {"/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/tmp",
                             "/etc/resolv.conf", "/etc/hosts"}) {
        INFO(dest);
        CHECK(findMount(spec, dest) != nullptr);
    }
    CHECK((*findMount(spec, "/etc/hosts"))["source"] == "/state/hosts");
    CHECK(findMount(spec, kSecretsMountPath) == nullptr);
}

TEST_CASE("read-only root and secrets", "[provider][spec]") {
    api::FunctionDeployment d{.service = "say", .image = "say:1", .ns = "openfaas-fn"};
    d.readOnlyRootFilesystem = true;
    image::ImageConfig img;
    img.cmd = {"httpd"};
    auto spec = specFor(d, img, "/state/secrets-1");
    CHECK(spec["root"]["readonly"] == true);
    const auto* secrets = findMount(spec, kSecretsMountPath);
    REQUIRE(secrets);
    CHECK((*secrets)["source"] == "/state/secrets-1");
    auto options = (*secrets)["options"].get<std::vector<std::string>>();
    CHECK(std::find(options.begin(), options.end(), "ro") != options.end());
    // /tmp stays writable on a read-only root.
    CHECK((*findMount(spec, "/tmp"))["type"] == "tmpfs");
    CHECK_FALSE(spec["linux"]["resources"].contains("memory"));
    CHECK_FALSE(spec["linux"]["resources"].contains("cpu"));
}

TEST_CASE("an image with nothing to run is refused", "[provider][spec]") {
    api::FunctionDeployment d{.service = "say", .image = "empty:1", .ns = "openfaas-fn"};
    image::ImageConfig img;
    SpecInput in{.id = "x", .image = &img, .deployment = &d};
    auto spec = generateSpec(in);
    REQUIRE_FALSE(spec);
    CHECK(spec.error().message() == "image empty:1 has neither Entrypoint nor Cmd");
}
