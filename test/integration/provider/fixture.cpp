#include "fixture.hpp"

#include "catch_result.hpp"
#include "common/random.hpp"
#include "containerd_daemon.hpp"
#include "image/store.hpp"
#include "network/netns.hpp"
#include "test_image.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <sstream>
#include <thread>

namespace faasd::provider::testing {

using namespace std::chrono_literals;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (!line.empty()) {
            out.push_back(line);
        }
    }
    return out;
}

std::string cgi(const std::string& body) {
    return "#!/bin/sh\necho 'Content-Type: text/plain'\necho\n" + body + "\n";
}

Result<image::Layer> webLayer() {
    image::LayerBuilder b;
    TRY(b.addHostFile("/bin/busybox", faasd::testing::kBusybox));
    for (const char* applet :
         {"sh", "echo", "cat", "sleep", "id", "env", "httpd", "touch", "false", "true", "grep"}) {
        b.addSymlink(fmt::format("/bin/{}", applet), "busybox");
    }
    b.addDirectory("/tmp", 01777);
    b.addDirectory("/proc");
    b.addDirectory("/sys");
    b.addDirectory("/dev");
    b.addDirectory("/etc");
    b.addDirectory("/var");
    b.addFile("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000::/home/app:/bin/sh\n");
    b.addFile("/etc/group", "root:x:0:\napp:x:1000:\n");
    b.addDirectory("/www");
    b.addFile("/www/index.html", "hello from a replica\n");
    b.addDirectory("/www/cgi-bin");
    b.addFile("/www/cgi-bin/id", cgi("id"), 0755);
    b.addFile("/www/cgi-bin/env", cgi("env"), 0755);
    b.addFile("/www/cgi-bin/hostname", cgi("cat /proc/sys/kernel/hostname"), 0755);
    b.addFile("/www/cgi-bin/secret", cgi("cat /var/openfaas/secrets/api-key"), 0755);
    b.addFile("/www/cgi-bin/secretls", cgi("ls -ln /var/openfaas/secrets/ 2>&1"), 0755);
    b.addFile("/www/cgi-bin/mem", cgi("cat /sys/fs/cgroup/memory/memory.limit_in_bytes"), 0755);
    b.addFile("/www/cgi-bin/cpu",
              cgi("cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us "
                  "/sys/fs/cgroup/cpu/cpu.cfs_period_us"),
              0755);
    b.addFile("/www/cgi-bin/write",
              cgi("if touch /written 2>/dev/null; then echo writable; else echo readonly; fi; "
                  "touch /tmp/x && echo tmp-ok"),
              0755);
    b.addFile("/www/cgi-bin/log", cgi("echo \"log line from $(id -u)\" >&2; echo logged"), 0755);
    b.addFile("/www/cgi-bin/resolv", cgi("cat /etc/resolv.conf /etc/hosts"), 0755);
    return b.build();
}

} // namespace

RunOutput sh(const std::string& command) {
    auto out = run({.argv = {"sh", "-c", command}}, "", 20s);
    if (!out) {
        return RunOutput{.status = -1, .err = out.error().message()};
    }
    return *out;
}

ProviderEnv::ProviderEnv()
    : dir_(TempDir::create("faasd-prov-it-").value()), ns_("fn-" + randomHex(4)),
      client_(containerd::Client::connect({.socket = faasd::testing::daemon().socket()}).value()) {
    sh(std::string("ip link del ") + kBridge + " 2>/dev/null");
    firewallChainsBefore_ = sh("iptables -S CNI-FORWARD >/dev/null 2>&1").status == 0;
    config_.stateDir = dir_.path() / "state";
    config_.containerdSocket = faasd::testing::daemon().socket();
    config_.defaultNamespace = ns_;
    config_.cgroupParent = "/faasd-prov-it";
    config_.network = network::NetworkConfig{
        .networkName = kNetworkName,
        .bridge = kBridge,
        .subnet = std::string(kSubnetPrefix) + "0/24",
        .confDir = dir_.path() / "net.d",
        .ipamDataDir = dir_.path() / "ipam",
        .stateDir = dir_.path() / "cni",
        .netnsDir = dir_.path() / "netns",
    };
    config_.pullPolicy = image::PullPolicy::IfNotPresent;
    config_.readinessTimeout = 15s;
    config_.stopGracePeriod = 300ms;
    config_.restartBackoffMin = 100ms;
    config_.maxReplicas = 5;
    provider_ = start();
}

std::unique_ptr<ContainerdProvider> ProviderEnv::start() {
    auto p = ContainerdProvider::create(config_);
    REQUIRE(p);
    return std::move(*p);
}

void ProviderEnv::storeImages(const std::string& ns) {
    auto c = client_.withNamespace(ns.empty() ? ns_ : ns);
    auto layer = webLayer();
    REQUIRE(layer);
    image::ImageConfig config;
    config.cmd = {"httpd", "-f", "-p", "8080", "-h", "/www"};
    config.env = {"PATH=/bin", "FROM_IMAGE=1", fmt::format("fprocess={}", kImageProcess)};
    config.workingDir = "/";
    REQUIRE(image::storeImage(c, "docker.io/" + std::string(kImage), config, {*layer}));
    config.user = "app";
    REQUIRE(image::storeImage(c, "docker.io/" + std::string(kAppImage), config, {*layer}));
    config.user = "";
    config.cmd = {"sh", "-c", "echo about to fail; exit 3"};
    REQUIRE(image::storeImage(c, "docker.io/" + std::string(kFailingImage), config, {*layer}));
}

ProviderEnv::~ProviderEnv() {
    provider_.reset();
    cleanUp();
}

void ProviderEnv::cleanUp() {
    auto& daemon = faasd::testing::daemon();
    std::vector<std::string> namespaces = {ns_};
    if (auto all = client_.namespaces().list()) {
        for (const auto& n : *all) {
            if (n.name.starts_with(ns_)) {
                if (n.name != ns_) {
                    namespaces.push_back(n.name);
                }
            }
        }
    }
    for (const auto& name : namespaces) {
        daemon.purgeNamespace(name);
        auto c = client_.withNamespace(name);
        if (auto snaps = c.snapshots().list()) {
            // Children before parents: active ones first, then committed.
            for (int pass = 0; pass < 3; ++pass) {
                for (const auto& s : *snaps) {
                    (void)c.snapshots().remove(s.name);
                }
            }
        }
        if (auto images = c.images().list()) {
            for (const auto& img : *images) {
                (void)c.images().remove(img.name, true);
            }
        }
        if (auto leases = c.leases().list()) {
            for (const auto& l : *leases) {
                (void)c.leases().remove(l.id, true);
            }
        }
        (void)client_.namespaces().remove(name);
    }
    if (auto cni = network::Cni::load(config_.network)) {
        if (auto attachments = cni->attachments()) {
            for (const auto& a : *attachments) {
                (void)cni->detach(a.id);
            }
        }
    }
    if (auto names = network::listNetns(config_.network.netnsDir)) {
        for (const auto& name : *names) {
            (void)network::deleteNetns(config_.network.netnsDir / name);
        }
    }
    for (const auto& rule : natRules()) {
        if (rule.starts_with("-A POSTROUTING ")) {
            sh("iptables -t nat -D " + rule.substr(3));
        }
    }
    for (const auto& line : lines(sh("iptables -t nat -S").out)) {
        if (line.starts_with("-N CNI-")) {
            auto chain = line.substr(3);
            if (sh("iptables -t nat -S " + chain + " | grep -q '" + kNetworkName + "'").status ==
                0) {
                sh("iptables -t nat -F " + chain + " && iptables -t nat -X " + chain);
            }
        }
    }
    for (const auto& rule : filterRules()) {
        if (rule.starts_with("-A ")) {
            sh("iptables -D " + rule.substr(3));
        }
    }
    sh(std::string("ip link del ") + kBridge + " 2>/dev/null");
    if (!firewallChainsBefore_ &&
        lines(sh("iptables -S CNI-FORWARD 2>/dev/null | grep -v -e '^-N' -e 'CNI-ADMIN'").out)
            .empty()) {
        sh("while iptables -D FORWARD -m comment --comment 'CNI firewall plugin rules' "
           "-j CNI-FORWARD 2>/dev/null; do :; done;"
           "iptables -F CNI-FORWARD 2>/dev/null; iptables -X CNI-FORWARD 2>/dev/null; "
           "iptables -X CNI-ADMIN 2>/dev/null");
    }
    sh("for d in /sys/fs/cgroup/*/faasd-prov-it; do find $d -depth -type d -exec rmdir {} + "
       "2>/dev/null; done");
}

std::vector<std::string> ProviderEnv::netnsFiles() const {
    auto names = network::listNetns(config_.network.netnsDir);
    return names ? *names : std::vector<std::string>{};
}

std::vector<std::string> ProviderEnv::leases() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry :
         std::filesystem::directory_iterator(config_.network.ipamDataDir / kNetworkName, ec)) {
        auto name = entry.path().filename().string();
        if (name != "lock" && !name.starts_with("last_reserved_ip")) {
            out.push_back(name);
        }
    }
    return out;
}

std::vector<std::string> ProviderEnv::natRules() const {
    std::vector<std::string> out;
    for (const auto& line : lines(sh("iptables -t nat -S").out)) {
        if (line.find(kNetworkName) != std::string::npos) {
            out.push_back(line);
        }
    }
    return out;
}

std::vector<std::string> ProviderEnv::filterRules() const {
    std::vector<std::string> out;
    for (const auto& line : lines(sh("iptables -S").out)) {
        if (line.find(kSubnetPrefix) != std::string::npos) {
            out.push_back(line);
        }
    }
    return out;
}

size_t ProviderEnv::containers() const {
    return client().containers().list().value().size();
}
size_t ProviderEnv::tasks() const {
    return client().tasks().list().value().size();
}
size_t ProviderEnv::activeSnapshots() const {
    size_t n = 0;
    const auto snapshots = client().snapshots().list().value();
    for (const auto& s : snapshots) {
        n += s.kind != containerd::SnapshotKind::Committed ? 1 : 0;
    }
    return n;
}
size_t ProviderEnv::cniAttachments() const {
    auto cni = network::Cni::load(config_.network);
    return cni ? cni->attachments().value().size() : 0;
}

api::FunctionDeployment deployment(const std::string& name, const std::string& ns,
                                   const std::string& image) {
    return api::FunctionDeployment{.service = name, .image = image, .ns = ns};
}

std::string httpGet(const std::string& ip, const std::string& path, std::string* err) {
    auto out = sh("curl -sS --fail --noproxy '*' --max-time 3 http://" + ip + ":8080" + path);
    if (out.status != 0) {
        if (err) {
            *err = out.err;
        }
        return {};
    }
    return out.out;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout) {
    return waitUntil(pred, timeout, 50ms);
}

} // namespace faasd::provider::testing
