#include "etcd_cluster.hpp"

#include "../../support/wait.hpp" // the harness library is built without test/support
#include "common/unique_fd.hpp"

#include <arpa/inet.h>
#include <fstream>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace faasd::testing {
namespace {

constexpr const char* kEtcd = "/usr/bin/etcd";
constexpr const char* kDirPrefix = "faasd-it-etcd-";

// A test binary killed by its timeout leaves its members running: the next
// run kills those whose owner is gone (their command lines name the
// directory) and removes the directory.
void removeStaleClusters() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
        const std::string name = entry.path().filename();
        if (name.rfind(kDirPrefix, 0) != 0 || !entry.is_directory()) {
            continue;
        }
        auto owner = readFile(entry.path() / "owner.pid");
        pid_t pid = owner ? static_cast<pid_t>(std::atoi(owner->c_str())) : 0;
        if (pid > 0 && ::kill(pid, 0) == 0) {
            continue;
        }
        for (const auto& proc : std::filesystem::directory_iterator("/proc", ec)) {
            const std::string id = proc.path().filename();
            if (id.find_first_not_of("0123456789") != std::string::npos) {
                continue;
            }
            std::ifstream f(proc.path() / "cmdline");
            std::string cmdline((std::istreambuf_iterator<char>(f)), {});
            if (cmdline.find(entry.path().string()) != std::string::npos) {
                ::kill(static_cast<pid_t>(std::stoi(id)), SIGKILL);
            }
        }
        std::filesystem::remove_all(entry.path(), ec);
    }
}

// GET /health on 127.0.0.1:port (a member's metrics URL, plain http):
// whether the member says it is healthy (it has a leader).
bool healthy(int port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return false;
    }
    timeval tv{1, 0};
    ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return false;
    }
    const std::string request = "GET /health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (::send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
        static_cast<ssize_t>(request.size())) {
        return false;
    }
    std::string response;
    char buf[1024];
    for (;;) {
        ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n <= 0) {
            break;
        }
        response.append(buf, static_cast<size_t>(n));
    }
    return response.find("\"health\":\"true\"") != std::string::npos;
}

// Whether every thread under /proc/<pid>/task is stopped (state T).
bool allStopped(const std::filesystem::path& tasks) {
    std::error_code ec;
    for (const auto& task : std::filesystem::directory_iterator(tasks, ec)) {
        auto stat = readFile(task.path() / "stat");
        if (!stat) {
            continue; // a thread that exited
        }
        // "pid (comm) S ...": the state follows the last ')'.
        const auto close = stat->rfind(')');
        if (close == std::string::npos || close + 2 >= stat->size() || (*stat)[close + 2] != 'T') {
            return false;
        }
    }
    return !ec;
}

} // namespace

std::string etcdSkipReason() {
    if (::access(kEtcd, X_OK) != 0) {
        return std::string(kEtcd) + " is missing (hack/install-deps.sh installs etcd-server)";
    }
    return {};
}

Result<int> freeLoopbackPort() {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) {
        return fail(systemError("socket", errno));
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        return fail(systemError("bind 127.0.0.1:0", errno));
    }
    socklen_t len = sizeof addr;
    if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        return fail(systemError("getsockname", errno));
    }
    return static_cast<int>(ntohs(addr.sin_port));
}

Result<std::unique_ptr<EtcdCluster>> EtcdCluster::start(size_t size, std::optional<EtcdTls> tls) {
    removeStaleClusters();
    TRY_ASSIGN(auto dir, TempDir::create(kDirPrefix));
    TRY(writeFileAtomic(dir.path() / "owner.pid", std::to_string(::getpid())));
    std::unique_ptr<EtcdCluster> cluster(new EtcdCluster(std::move(dir)));
    cluster->tls_ = std::move(tls);
    for (size_t i = 0; i < size; ++i) {
        Member m;
        m.name = fmt::format("n{}", i + 1);
        TRY_ASSIGN(m.clientPort, freeLoopbackPort());
        TRY_ASSIGN(m.peerPort, freeLoopbackPort());
        TRY_ASSIGN(m.metricsPort, freeLoopbackPort());
        m.clientUrl =
            fmt::format("{}://127.0.0.1:{}", cluster->tls_ ? "https" : "http", m.clientPort);
        m.peerUrl = fmt::format("http://127.0.0.1:{}", m.peerPort);
        if (!cluster->initialCluster_.empty()) {
            cluster->initialCluster_ += ",";
        }
        cluster->initialCluster_ += m.name + "=" + m.peerUrl;
        cluster->members_.push_back(std::move(m));
    }
    // Every member at once: a cluster's first leader needs a quorum.
    for (size_t i = 0; i < size; ++i) {
        TRY(cluster->launch(i));
    }
    for (size_t i = 0; i < size; ++i) {
        TRY(cluster->waitHealthy(i, std::chrono::seconds(20)));
    }
    return cluster;
}

EtcdCluster::~EtcdCluster() {
    for (size_t i = 0; i < members_.size(); ++i) {
        kill(i);
    }
}

std::vector<std::string> EtcdCluster::clientUrls() const {
    std::vector<std::string> out;
    for (const auto& m : members_) {
        out.push_back(m.clientUrl);
    }
    return out;
}

Result<void> EtcdCluster::launch(size_t i) {
    Member& m = members_.at(i);
    const auto data = dir_.path() / m.name;
    // Short heartbeats and elections: a killed leader is replaced in about
    // half a second, and a lease may be as short as 1 s.
    SubprocessOptions options;
    options.argv = {kEtcd,
                    "--name",
                    m.name,
                    "--data-dir",
                    data.string(),
                    "--listen-client-urls",
                    m.clientUrl,
                    "--advertise-client-urls",
                    m.clientUrl,
                    "--listen-peer-urls",
                    m.peerUrl,
                    "--initial-advertise-peer-urls",
                    m.peerUrl,
                    "--initial-cluster",
                    initialCluster_,
                    "--initial-cluster-token",
                    dir_.path().filename().string(),
                    "--heartbeat-interval",
                    "50",
                    "--election-timeout",
                    "500",
                    "--logger",
                    "zap",
                    "--log-outputs",
                    (dir_.path() / (m.name + ".log")).string(),
                    "--listen-metrics-urls",
                    fmt::format("http://127.0.0.1:{}", m.metricsPort)};
    if (tls_) {
        options.argv.insert(options.argv.end(),
                            {"--cert-file", tls_->certFile, "--key-file", tls_->keyFile});
    }
    options.out = Stdio::Null;
    options.err = Stdio::Null;
    TRY_ASSIGN(auto process, Subprocess::spawn(options));
    m.process.emplace(std::move(process));
    return {};
}

void EtcdCluster::kill(size_t i) {
    Member& m = members_.at(i);
    if (m.process) {
        m.process->kill(SIGKILL);
        (void)m.process->wait(std::chrono::seconds(10));
        m.process.reset();
    }
}

Result<void> EtcdCluster::pause(size_t i) {
    Member& m = members_.at(i);
    if (!m.process) {
        return fail(Code::FailedPrecondition, "etcd {} is not running", m.name);
    }
    m.process->kill(SIGSTOP);
    // The signal stops each thread in its own time: one may still answer
    // a request it has read.
    const auto tasks = std::filesystem::path("/proc") / std::to_string(m.process->pid()) / "task";
    if (!waitUntil([&] { return allStopped(tasks); }, std::chrono::seconds(5),
                   std::chrono::milliseconds(1))) {
        return fail(Code::Timeout, "etcd {} not stopped 5 s after SIGSTOP", m.name);
    }
    return {};
}

void EtcdCluster::resume(size_t i) {
    if (auto& process = members_.at(i).process) {
        process->kill(SIGCONT);
    }
}

bool EtcdCluster::running(size_t i) const {
    return members_.at(i).process.has_value();
}

Result<void> EtcdCluster::restart(size_t i) {
    kill(i);
    TRY(launch(i));
    return waitHealthy(i, std::chrono::seconds(20));
}

Result<void> EtcdCluster::waitHealthy(size_t i, std::chrono::milliseconds timeout) {
    Member& m = members_.at(i);
    std::optional<int> exited;
    bool ok = waitUntil(
        [&] {
            if (m.process) {
                exited = m.process->poll();
            }
            return exited || healthy(m.metricsPort);
        },
        timeout, std::chrono::milliseconds(50));
    if (exited) {
        return fail(Code::Internal, "etcd {} exited with status {} (log: {})", m.name, *exited,
                    (dir_.path() / (m.name + ".log")).string());
    }
    if (!ok) {
        return fail(Code::Timeout, "etcd {} on {} not healthy after {} ms", m.name, m.clientUrl,
                    timeout.count());
    }
    return {};
}

} // namespace faasd::testing
