#include "containerd_daemon.hpp"

#include "../../support/wait.hpp" // the harness library is built without test/support
#include "common/files.hpp"
#include "containerd/client.hpp"

#include <fcntl.h>
#include <fstream>
#include <signal.h>
#include <sstream>
#include <sys/mount.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace faasd::testing {
namespace {

// Mount points under dir, deepest first.
std::vector<std::string> mountsUnder(const std::filesystem::path& dir) {
    std::ifstream f("/proc/self/mountinfo");
    std::vector<std::string> out;
    std::string line;
    while (std::getline(f, line)) {
        std::istringstream ss(line);
        std::string id, parent, dev, root, point;
        ss >> id >> parent >> dev >> root >> point;
        if (point.rfind(dir.string(), 0) == 0) {
            out.push_back(point);
        }
    }
    std::reverse(out.begin(), out.end());
    return out;
}

ContainerdDaemon* g_daemon = nullptr;

// Pids whose command line mentions text.
std::vector<pid_t> processesMentioning(const std::string& text) {
    std::vector<pid_t> out;
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream f(entry.path() / "cmdline");
        std::string cmdline((std::istreambuf_iterator<char>(f)), {});
        if (cmdline.find(text) != std::string::npos) {
            out.push_back(static_cast<pid_t>(std::stoi(name)));
        }
    }
    return out;
}

void removeDaemonDir(const std::filesystem::path& dir) {
    for (pid_t pid : processesMentioning(dir.string())) {
        ::kill(pid, SIGKILL);
    }
    for (const auto& point : mountsUnder(dir)) {
        ::umount2(point.c_str(), MNT_DETACH);
    }
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
}

// A test binary killed by a timeout cannot clean up after itself: the next
// run removes daemons whose owning test process is gone.
void removeStaleDaemons() {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/tmp", ec)) {
        const std::string name = entry.path().filename();
        if (name.rfind("faasd-it-", 0) != 0 || !entry.is_directory()) {
            continue;
        }
        auto owner = readFile(entry.path() / "owner.pid");
        pid_t pid = owner ? static_cast<pid_t>(std::atoi(owner->c_str())) : 0;
        if (pid > 0 && ::kill(pid, 0) == 0) {
            continue; // another test run is using it
        }
        removeDaemonDir(entry.path());
    }
}

} // namespace

std::string integrationSkipReason() {
    if (::geteuid() != 0) {
        return "integration tests need root";
    }
    for (const char* bin : {"containerd", "containerd-shim-runc-v2", "runc"}) {
        if (!isExecutable(bin)) {
            return std::string("integration tests need ") + bin + " (hack/install-deps.sh)";
        }
    }
    return "";
}

ContainerdDaemon& daemon() {
    return *g_daemon;
}

Result<std::unique_ptr<ContainerdDaemon>> ContainerdDaemon::start() {
    removeStaleDaemons();
    std::unique_ptr<ContainerdDaemon> d(new ContainerdDaemon());
    char templ[] = "/tmp/faasd-it-XXXXXX";
    if (::mkdtemp(templ) == nullptr) {
        return fail(systemError("creating the containerd test directory", errno));
    }
    d->dir_ = templ;
    d->socket_ = (d->dir_ / "containerd.sock").string();
    d->config_ = d->dir_ / "config.toml";
    TRY(writeFileAtomic(d->dir_ / "owner.pid", std::to_string(::getpid())));
    std::string config = fmt::format(R"(version = 2
root = "{0}/root"
state = "{0}/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{1}"

[ttrpc]
  address = "{1}.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = "{0}/opt"
)",
                                     d->dir_.string(), d->socket_);
    TRY(writeFileAtomic(d->config_, config));
    TRY(d->launch());
    g_daemon = d.get();
    return d;
}

Result<void> ContainerdDaemon::launch() {
    // containerd's log goes to a file next to its state, for post-mortems.
    auto proc = Subprocess::spawn(
        {.argv = {"sh", "-c",
                  fmt::format("exec containerd --config {} >>{} 2>&1", config_.string(),
                              (dir_ / "containerd.log").string())},
         .out = Stdio::Null,
         .err = Stdio::Null,
         .newSession = true});
    if (!proc) {
        return fail(proc.error().context("starting containerd"));
    }
    process_ = std::make_unique<Subprocess>(std::move(*proc));
    auto client = containerd::Client::connect({.socket = socket_});
    if (!client) {
        return fail(client.error());
    }
    bool exited = false;
    const bool answered = waitUntil(
        [&] {
            exited = !process_->running() || process_->poll().has_value();
            return exited || (std::filesystem::exists(socket_) && client->version());
        },
        std::chrono::seconds(30), std::chrono::milliseconds(50));
    if (exited) {
        auto tail = readFile(dir_ / "containerd.log");
        return fail(Code::Unavailable, "containerd exited at start: {}",
                    tail ? tail->substr(tail->size() > 2000 ? tail->size() - 2000 : 0) : "");
    }
    if (!answered) {
        return fail(Code::Timeout, "containerd did not answer on {} within 30 s", socket_);
    }
    return {};
}

void ContainerdDaemon::purgeNamespace(const std::string& ns) {
    auto client = containerd::Client::connect({.socket = socket_, .ns = ns});
    if (!client) {
        return;
    }
    if (auto tasks = client->tasks().list()) {
        for (const auto& t : *tasks) {
            (void)client->tasks().kill(t.containerId, SIGKILL, true);
            (void)client->tasks().wait(t.containerId, std::chrono::seconds(5));
            (void)client->tasks().remove(t.containerId);
        }
    }
    if (auto containers = client->containers().list()) {
        for (const auto& c : *containers) {
            (void)client->containers().remove(c.id);
        }
    }
}

void ContainerdDaemon::stop() {
    if (!process_) {
        return;
    }
    process_->kill(SIGTERM);
    if (!process_->wait(std::chrono::seconds(10))) {
        process_->kill(SIGKILL);
        (void)process_->wait();
    }
    process_.reset();
}

Result<void> ContainerdDaemon::restart() {
    stop();
    return launch();
}

ContainerdDaemon::~ContainerdDaemon() {
    if (auto client = containerd::Client::connect({.socket = socket_})) {
        if (auto namespaces = client->namespaces().list()) {
            for (const auto& ns : *namespaces) {
                purgeNamespace(ns.name);
            }
        }
    }
    stop();
    removeDaemonDir(dir_); // and any shim still serving it
    if (g_daemon == this) {
        g_daemon = nullptr;
    }
}

} // namespace faasd::testing
