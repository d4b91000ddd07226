#include "daemon/containerd_supervisor.hpp"

#include "common/files.hpp"
#include "common/log.hpp"
#include "containerd/client.hpp"

#include <algorithm>
#include <filesystem>
#include <fmt/format.h>
#include <optional>
#include <signal.h>

namespace faasd::daemon {
namespace {

const Logger kSupervisorLog("daemon");

} // namespace

bool containerdAnswers(const std::string& socket, std::chrono::milliseconds timeout) {
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
        return false;
    }
    auto client = containerd::Client::connect({.socket = socket, .timeout = timeout});
    return client && client->version().has_value();
}

Result<std::unique_ptr<ContainerdSupervisor>>
ContainerdSupervisor::start(const config::DaemonConfig& config) {
    std::unique_ptr<ContainerdSupervisor> c(new ContainerdSupervisor());
    auto base = std::filesystem::path(config.stateDir) / "containerd";
    std::error_code ec;
    std::filesystem::create_directories(base, ec);
    std::filesystem::create_directories(
        std::filesystem::path(config.containerdSocket).parent_path(), ec);
    c->binary_ = config.containerdBinary;
    c->socket_ = config.containerdSocket;
    c->configPath_ = (base / "config.toml").string();
    c->logPath_ = (base / "containerd.log").string();
    std::string toml = fmt::format(R"(version = 2
root = "{0}/root"
state = "{0}/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "{1}"

[ttrpc]
  address = "{1}.ttrpc"
)",
                                   base.string(), config.containerdSocket);
    TRY(writeFileAtomic(c->configPath_, toml));
    TRY(c->launch());
    c->supervisor_ = std::thread([raw = c.get()] { raw->supervise(); });
    return c;
}

Result<void> ContainerdSupervisor::launch() {
    auto proc = Subprocess::spawn(
        {.argv = {"sh", "-c",
                  fmt::format("exec {} --config {} >>{} 2>&1", binary_, configPath_, logPath_)},
         .out = Stdio::Null,
         .err = Stdio::Null,
         .newSession = true});
    if (!proc) {
        return fail(proc.error().context("starting containerd"));
    }
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        if (proc->poll()) {
            return fail(Code::Unavailable, "containerd exited at start; see {}", logPath_);
        }
        if (containerdAnswers(socket_, std::chrono::milliseconds(500))) {
            std::lock_guard lock(mu_);
            process_ = std::make_unique<Subprocess>(std::move(*proc));
            kSupervisorLog.info("started containerd (pid {}) on {}; log in {}", process_->pid(),
                                socket_, logPath_);
            return {};
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return fail(Code::Timeout, "containerd did not answer on {} within 30 s; see {}", socket_,
                logPath_);
}

void ContainerdSupervisor::supervise() {
    auto backoff = std::chrono::milliseconds(500);
    while (!stopping_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        std::optional<int> status;
        {
            std::lock_guard lock(mu_);
            if (process_) {
                status = process_->poll();
            }
        }
        if (!status || stopping_) {
            continue;
        }
        kSupervisorLog.warn("containerd exited with status {}; restarting in {} ms", *status,
                            backoff.count());
        std::this_thread::sleep_for(backoff);
        if (stopping_) {
            break;
        }
        if (auto r = launch(); !r) {
            kSupervisorLog.error("{}", r.error().message());
            backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
        } else {
            backoff = std::chrono::milliseconds(500);
        }
    }
}

ContainerdSupervisor::~ContainerdSupervisor() {
    stopping_ = true;
    if (supervisor_.joinable()) {
        supervisor_.join();
    }
    std::lock_guard lock(mu_);
    if (process_) {
        process_->kill(SIGTERM);
        if (!process_->wait(std::chrono::seconds(10))) {
            process_->kill(SIGKILL);
            (void)process_->wait();
        }
    }
}

} // namespace faasd::daemon
