#include "real_network.hpp"

#include "network/netns.hpp"

#include <catch2/catch.hpp>
#include <sstream>

namespace faasd::network::testing {

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

std::string readTrimmed(const std::string& path) {
    auto text = readFile(path);
    std::string s = text ? *text : std::string();
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) {
        s.pop_back();
    }
    return s;
}

bool firewallChainsExist() {
    return sh("iptables -S CNI-FORWARD >/dev/null 2>&1").status == 0;
}

// The firewall plugin's chains hold no rule for any address: nothing but
// the jump to CNI-ADMIN, which holds nothing.
bool firewallChainsIdle() {
    for (const auto& rule : lines(sh("iptables -S CNI-FORWARD; iptables -S CNI-ADMIN").out)) {
        if (!rule.starts_with("-N ") && rule.find("-j CNI-ADMIN") == std::string::npos) {
            return false;
        }
    }
    return true;
}

} // namespace

RunOutput sh(const std::string& command) {
    auto out = run({.argv = {"sh", "-c", command}}, "", 20s);
    if (!out) {
        return RunOutput{.status = -1, .err = out.error().message()};
    }
    return *out;
}

std::string shOk(const std::string& command) {
    auto out = sh(command);
    INFO(command << " -> " << out.status << ": " << out.err);
    REQUIRE(out.status == 0);
    return out.out;
}

RealNetwork::RealNetwork() : dir_(TempDir::create("faasd-net-it-").value()) {
    config_ = NetworkConfig{
        .networkName = kName,
        .bridge = kBridge,
        .subnet = std::string(kSubnetPrefix) + "0/24",
        .confDir = dir_.path() / "net.d",
        .ipamDataDir = dir_.path() / "ipam",
        .stateDir = dir_.path() / "state",
        .netnsDir = dir_.path() / "netns",
        .pluginTimeout = 10s,
    };
    // A bridge left by an earlier run that was killed would skew the counts.
    sh(std::string("ip link del ") + kBridge + " 2>/dev/null");
    ipForwardBefore_ = readTrimmed("/proc/sys/net/ipv4/ip_forward");
    firewallChainsBefore_ = firewallChainsExist();
    linksBefore_ = hostLinks();
    natChainsBefore_ = natChains();
    auto wrote = ensureConflist(config_);
    REQUIRE(wrote);
    REQUIRE(*wrote);
}

RealNetwork::~RealNetwork() {
    cleanUp();
}

void RealNetwork::cleanUp() const {
    if (auto cni = Cni::load(config_)) {
        if (auto attachments = cni->attachments()) {
            for (const auto& a : *attachments) {
                (void)cni->detach(a.id);
            }
        }
    }
    if (auto names = listNetns(config_.netnsDir)) {
        for (const auto& name : *names) {
            (void)deleteNetns(config_.netnsDir / name);
        }
    }
    // Only reached when a detach failed: masquerade rules of the test network.
    for (const auto& rule : natRules()) {
        if (rule.starts_with("-A POSTROUTING ")) {
            sh("iptables -t nat -D " + rule.substr(3));
        }
    }
    for (const auto& chain : natChains()) {
        if (chain.starts_with("CNI-") && !natChainsBefore_.contains(chain) &&
            sh("iptables -t nat -S " + chain + " | grep -q '" + kName + "'").status == 0) {
            sh("iptables -t nat -F " + chain + " && iptables -t nat -X " + chain);
        }
    }
    sh(std::string("ip link del ") + kBridge + " 2>/dev/null");
    if (!firewallChainsBefore_ && firewallChainsExist() && firewallChainsIdle()) {
        // Created for this test and holding nothing but the admin jump.
        sh("while iptables -D FORWARD -m comment --comment 'CNI firewall plugin rules' "
           "-j CNI-FORWARD 2>/dev/null; do :; done;"
           "iptables -F CNI-FORWARD; iptables -X CNI-FORWARD; iptables -X CNI-ADMIN");
    }
    if (!ipForwardBefore_.empty() &&
        readTrimmed("/proc/sys/net/ipv4/ip_forward") != ipForwardBefore_) {
        sh("echo " + ipForwardBefore_ + " > /proc/sys/net/ipv4/ip_forward");
    }
}

Cni RealNetwork::load() const {
    auto cni = Cni::load(config_);
    REQUIRE(cni);
    return std::move(*cni);
}

std::string RealNetwork::netns(const std::string& name) const {
    auto path = createNetns(config_.netnsDir, name);
    REQUIRE(path);
    return *path;
}

std::vector<std::string> RealNetwork::leases() const {
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(config_.ipamDataDir / kName, ec)) {
        auto name = entry.path().filename().string();
        if (name != "lock" && !name.starts_with("last_reserved_ip")) {
            out.push_back(name);
        }
    }
    return out;
}

std::vector<std::string> RealNetwork::bridgePorts() const {
    return lines(sh(std::string("ip -o link show master ") + kBridge + " 2>/dev/null").out);
}

std::set<std::string> RealNetwork::hostLinks() {
    std::set<std::string> names;
    for (const auto& line : lines(shOk("ip -o link show"))) {
        // "5: vethabc@if2: <BROADCAST,..."
        auto start = line.find(": ");
        auto end = line.find(':', start + 2);
        if (start == std::string::npos || end == std::string::npos) {
            continue;
        }
        auto name = line.substr(start + 2, end - start - 2);
        names.insert(name.substr(0, name.find('@')));
    }
    return names;
}

std::vector<std::string> RealNetwork::natRules() const {
    std::vector<std::string> out;
    for (const auto& line : lines(sh("iptables -t nat -S").out)) {
        if (line.find(kName) != std::string::npos) {
            out.push_back(line);
        }
    }
    return out;
}

std::set<std::string> RealNetwork::natChains() {
    std::set<std::string> out;
    for (const auto& line : lines(sh("iptables -t nat -S").out)) {
        if (line.starts_with("-N ")) {
            out.insert(line.substr(3));
        }
    }
    return out;
}

std::vector<std::string> RealNetwork::filterRules() const {
    std::vector<std::string> out;
    for (const auto& line : lines(shOk("iptables -S"))) {
        if (line.find(kSubnetPrefix) != std::string::npos) {
            out.push_back(line);
        }
    }
    return out;
}

} // namespace faasd::network::testing
