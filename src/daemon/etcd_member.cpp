#include "daemon/etcd_member.hpp"

#include "common/files.hpp"
#include "common/log.hpp"
#include "common/subprocess.hpp"
#include "common/unique_fd.hpp"
#include "daemon/systemd_notify.hpp"
#include "etcd/client.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <filesystem>
#include <fmt/format.h>
#include <fmt/ranges.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>

namespace faasd::daemon {
namespace {

const Logger kEtcdLog("etcd");

// Whether something accepts a TCP connection on host:port within timeout.
bool tcpConnects(const std::string& host, uint16_t port, std::chrono::milliseconds timeout) {
    auto address = ipv4Of(host);
    if (!address) {
        return false;
    }
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    if (inet_pton(AF_INET, address->c_str(), &to.sin_addr) != 1) {
        return false;
    }
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        return false;
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&to), sizeof to) == 0) {
        return true;
    }
    if (errno != EINPROGRESS) {
        return false;
    }
    pollfd p{fd.get(), POLLOUT, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1) {
        return false;
    }
    int error = 0;
    socklen_t len = sizeof error;
    return ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &error, &len) == 0 && error == 0;
}

bool isLoopback(const std::string& ipv4) {
    return ipv4.starts_with("127.");
}

// Where the member listens: its address, and 127.0.0.1 for this host's
// own clients (unless its address is a loopback one).
std::vector<std::string> listenAddresses(const EtcdMemberPlan& plan) {
    std::vector<std::string> out{plan.listenAddress};
    if (!isLoopback(plan.listenAddress)) {
        out.emplace_back("127.0.0.1");
    }
    return out;
}

SupervisedSpec etcdSpec(const config::DaemonConfig& config, const EtcdMemberPlan& plan) {
    const auto base = std::filesystem::path(config.stateDir) / "etcd";
    const auto address = plan.listenAddress;
    const auto port = plan.self.clientPort;
    return {
        .name = "etcd",
        .argv = etcdMemberArgv(plan),
        .logPath = (base / "etcd.log").string(),
        .pidPath = (base / "pid").string(),
        // It listens at once, and serves once its cluster has a leader.
        .answers = [address,
                    port] { return tcpConnects(address, port, std::chrono::milliseconds(500)); },
        .address = fmt::format("{}:{}", address, port)};
}

// Whether the member at url answers with a leader.
bool hasLeader(const std::string& url) {
    auto client = etcd::Client::connect({.endpoints = {url},
                                         .dialTimeout = std::chrono::milliseconds(1000),
                                         .requestTimeout = std::chrono::milliseconds(2000)});
    if (!client) {
        return false;
    }
    auto status = (*client)->status();
    return status && status->leaderId != 0;
}

} // namespace

Result<config::ClusterMember> localMember(const config::ClusterSettings& cluster,
                                          const std::string& hostName) {
    const auto& name = cluster.node.empty() ? hostName : cluster.node;
    std::vector<std::string> names;
    for (const auto& m : cluster.members) {
        if (m.name == name) {
            return m;
        }
        names.push_back(m.name);
    }
    return fail(Code::InvalidArgument,
                "this node, {}, is not one of FAASD_CLUSTER_MEMBERS ({}): set FAASD_CLUSTER_NODE "
                "(--node) to its name there",
                name, fmt::join(names, ", "));
}

Result<std::string> ipv4Of(const std::string& host) {
    in_addr literal{};
    if (inet_pton(AF_INET, host.c_str(), &literal) == 1) {
        return host;
    }
    addrinfo hints{};
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    if (getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
        return fail(Code::Unavailable, "{} does not resolve to an IPv4 address", host);
    }
    char text[INET_ADDRSTRLEN] = {};
    const auto* in = reinterpret_cast<const sockaddr_in*>(found->ai_addr);
    const bool ok = inet_ntop(AF_INET, &in->sin_addr, text, sizeof text) != nullptr;
    freeaddrinfo(found);
    if (!ok) {
        return fail(Code::Unavailable, "{} does not resolve to an IPv4 address", host);
    }
    return std::string(text);
}

EtcdMemberPlan etcdMemberPlan(const config::DaemonConfig& config, config::ClusterMember self,
                              std::string listenAddress) {
    return {.binary = config.cluster.etcdBinary,
            .dataDir = (std::filesystem::path(config.stateDir) / "etcd" / "data").string(),
            .self = std::move(self),
            .listenAddress = std::move(listenAddress),
            .members = config.cluster.members};
}

std::vector<std::string> etcdMemberArgv(const EtcdMemberPlan& plan) {
    std::vector<std::string> clientUrls;
    for (const auto& address : listenAddresses(plan)) {
        clientUrls.push_back(fmt::format("http://{}:{}", address, plan.self.clientPort));
    }
    std::vector<std::string> initial;
    for (const auto& m : plan.members) {
        initial.push_back(m.name + "=" + m.peerUrl());
    }
    return {plan.binary, "--name", plan.self.name, "--data-dir", plan.dataDir,
            "--listen-client-urls", fmt::format("{}", fmt::join(clientUrls, ",")),
            "--advertise-client-urls", plan.self.clientUrl(), "--listen-peer-urls",
            fmt::format("http://{}:{}", plan.listenAddress, plan.self.peerPort),
            "--initial-advertise-peer-urls", plan.self.peerUrl(), "--initial-cluster",
            fmt::format("{}", fmt::join(initial, ",")), "--initial-cluster-state", "new",
            "--initial-cluster-token", "faasd",
            // The queue's writes make history; an hour of it is kept.
            "--auto-compaction-mode", "periodic", "--auto-compaction-retention", "1h", "--logger",
            "zap"};
}

Result<std::unique_ptr<SupervisedProcess>> startEtcdMember(const config::DaemonConfig& config) {
    TRY_ASSIGN(auto self, localMember(config.cluster, hostName()));
    auto address = ipv4Of(self.host);
    if (!address) {
        return fail(address.error().context(fmt::format("etcd member {}", self.name)));
    }
    const auto plan = etcdMemberPlan(config, self, *address);
    auto spec = etcdSpec(config, plan);
    TRY_ASSIGN(auto adopted, SupervisedProcess::adopt(spec));
    if (adopted) {
        return adopted;
    }
    for (const auto& listen : listenAddresses(plan)) {
        for (auto port : {self.clientPort, self.peerPort}) {
            if (tcpConnects(listen, port, std::chrono::milliseconds(500))) {
                return fail(Code::FailedPrecondition,
                            "something already listens on {}:{}, where this node's etcd member "
                            "goes (an etcd started by the system? `systemctl disable --now "
                            "etcd`). To use etcd members run by someone else, set "
                            "FAASD_CLUSTER_ETCD instead of FAASD_CLUSTER_MEMBERS",
                            listen, port);
            }
        }
    }
    if (!isExecutable(plan.binary)) {
        return fail(Code::FailedPrecondition,
                    "no {} binary to run this node's etcd member: install etcd (Debian: "
                    "etcd-server) or set FAASD_ETCD_BIN",
                    plan.binary);
    }
    std::error_code ec;
    std::filesystem::create_directories(std::filesystem::path(spec.pidPath).parent_path(), ec);
    if (ec) {
        return fail(Code::PermissionDenied, "creating {}: {}",
                    std::filesystem::path(spec.pidPath).parent_path().string(), ec.message());
    }
    return SupervisedProcess::start(std::move(spec));
}

size_t membersListening(const std::vector<config::ClusterMember>& members) {
    size_t n = 0;
    for (const auto& m : members) {
        n += tcpConnects(m.host, m.clientPort, std::chrono::milliseconds(500)) ? 1 : 0;
    }
    return n;
}

Result<bool> waitForEtcdCluster(const config::DaemonConfig& config, const PauseOrStop& pause) {
    TRY_ASSIGN(auto self, localMember(config.cluster, hostName()));
    const auto& members = config.cluster.members;
    const auto started = std::chrono::steady_clock::now();
    auto nextLog = started + std::chrono::seconds(2);
    bool waited = false;
    for (;;) {
        if (hasLeader(self.clientUrl())) {
            if (waited) {
                kEtcdLog.info("the etcd cluster has a leader, after {} s",
                              std::chrono::duration_cast<std::chrono::seconds>(
                                  std::chrono::steady_clock::now() - started)
                                  .count());
                sdNotify("STATUS=");
            }
            return true;
        }
        if (const auto now = std::chrono::steady_clock::now(); now >= nextLog) {
            const auto line = fmt::format("waiting for the etcd cluster ({} of {} members answer)",
                                          membersListening(members), members.size());
            kEtcdLog.info("{}; start faasd on the other members' VMs", line);
            // Type=notify: systemd's start timeout is pushed back while waiting.
            sdNotify(fmt::format("STATUS={}\nEXTEND_TIMEOUT_USEC=20000000", line));
            nextLog = now + std::chrono::seconds(5);
            waited = true;
        }
        if (pause(std::chrono::milliseconds(1000))) {
            return false;
        }
    }
}

} // namespace faasd::daemon
