#include "daemon/containerd_supervisor.hpp"

#include "common/files.hpp"
#include "common/log.hpp"
#include "containerd/client.hpp"

#include <filesystem>
#include <fmt/chrono.h>
#include <fmt/format.h>

namespace faasd::daemon {
namespace {

const Logger kContainerdLog("daemon");

SupervisedSpec containerdSpec(const config::DaemonConfig& config) {
    auto base = std::filesystem::path(config.stateDir) / "containerd";
    const auto configPath = (base / "config.toml").string();
    return {.name = "containerd",
            .argv = {config.containerdBinary, "--config", configPath},
            .logPath = (base / "containerd.log").string(),
            .pidPath = (base / "pid").string(),
            .answers =
                [socket = config.containerdSocket] {
                    return containerdAnswers(socket, std::chrono::milliseconds(500));
                },
            .address = config.containerdSocket};
}

} // namespace

bool containerdAnswers(const std::string& socket, std::chrono::milliseconds timeout) {
    std::error_code ec;
    if (!std::filesystem::exists(socket, ec)) {
        return false;
    }
    auto client = containerd::Client::connect({.socket = socket, .timeout = timeout});
    return client && client->version().has_value();
}

Result<std::unique_ptr<SupervisedProcess>> startContainerd(const config::DaemonConfig& config) {
    auto base = std::filesystem::path(config.stateDir) / "containerd";
    std::error_code ec;
    std::filesystem::create_directories(base, ec);
    std::filesystem::create_directories(
        std::filesystem::path(config.containerdSocket).parent_path(), ec);
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
    TRY(writeFileAtomic((base / "config.toml").string(), toml));
    return SupervisedProcess::start(containerdSpec(config));
}

Result<std::unique_ptr<SupervisedProcess>> adoptContainerd(const config::DaemonConfig& config) {
    return SupervisedProcess::adopt(containerdSpec(config));
}

// --- ContainerdWatch

ContainerdWatch::ContainerdWatch(std::string socket, std::string managedBy,
                                 std::chrono::milliseconds interval)
    : socket_(std::move(socket)), managedBy_(std::move(managedBy)), interval_(interval),
      thread_([this] { loop(); }) {}

ContainerdWatch::~ContainerdWatch() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    thread_.join();
}

void ContainerdWatch::loop() {
    std::unique_lock lock(mu_);
    while (!cv_.wait_for(lock, interval_, [&] { return stopping_; })) {
        lock.unlock();
        const bool answers = containerdAnswers(socket_, std::chrono::milliseconds(1000));
        lock.lock();
        if (answers == up_) {
            continue;
        }
        up_ = answers;
        if (!answers) {
            downSince_ = std::chrono::system_clock::now();
            kContainerdLog.warn("containerd is not answering on {} (managed by {}); functions "
                                "keep serving, changes fail until it is back",
                                socket_, managedBy_);
        } else {
            auto down = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::system_clock::now() - downSince_);
            kContainerdLog.info("containerd answers again on {} after {} s", socket_, down.count());
        }
    }
}

std::string ContainerdWatch::healthDetail() const {
    std::lock_guard lock(mu_);
    if (up_) {
        return {};
    }
    return fmt::format(
        "containerd: not answering on {} since {:%Y-%m-%dT%H:%M:%SZ} (managed by {})", socket_,
        std::chrono::floor<std::chrono::seconds>(downSince_), managedBy_);
}

std::string ContainerdWatch::prometheusText() const {
    std::lock_guard lock(mu_);
    return fmt::format("# HELP faasd_containerd_up Whether containerd answers on its socket.\n"
                       "# TYPE faasd_containerd_up gauge\n"
                       "faasd_containerd_up{{managed_by=\"{}\"}} {}\n",
                       managedBy_, up_ ? 1 : 0);
}

} // namespace faasd::daemon
