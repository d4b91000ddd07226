#pragma once

// Runs the built fwatchdog for a test: hermetic (port 0, metrics port 0,
// TMPDIR in a fresh temp dir for the lock file), its stderr and stdout
// collected, killed and reaped when the test lets go of it.

#include "common/files.hpp"
#include "common/subprocess.hpp"

#include <chrono>
#include <condition_variable>
#include <httplib.h>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace faasd::watchdog::test {

using Vars = std::map<std::string, std::string>;

// The path of a built helper from the environment meson gives the test.
std::string builtPath(const char* variable);

// A free loopback port (bound and released: good enough for a test).
int freePort();

class WatchdogProcess {
public:
    // Starts fwatchdog with vars (port and metrics_port default to 0) and
    // waits until it logs its listening port; waitReady also waits for the
    // lock file. A wrapper command, if given, runs fwatchdog (its path is
    // the last argument).
    static std::unique_ptr<WatchdogProcess> start(Vars vars, bool waitReady = true,
                                                  std::vector<std::string> wrapper = {});
    ~WatchdogProcess();

    int port() const { return port_; }
    int metricsPort() const { return metricsPort_; }
    std::string lockPath() const;
    pid_t pid() const { return process_->pid(); }

    std::string logs();
    std::string out();
    bool waitForLog(const std::string& needle,
                    std::chrono::milliseconds timeout = std::chrono::seconds(5));
    // Waits for the process to exit: its status (128+sig when signalled).
    std::optional<int> waitExit(std::chrono::milliseconds timeout);
    // SIGTERM, then waitExit.
    std::optional<int> terminate(std::chrono::milliseconds timeout = std::chrono::seconds(10));

    httplib::Client client(std::chrono::seconds timeout = std::chrono::seconds(10)) const;

private:
    WatchdogProcess(TempDir dir, Subprocess process);
    void readOutput();

    TempDir dir_;
    std::unique_ptr<Subprocess> process_;
    std::thread reader_;
    std::mutex mutex_;
    std::condition_variable changed_;
    std::string logs_;
    std::string out_;
    bool eof_ = false;
    int port_ = 0;
    int metricsPort_ = 0;
};

// Writes an executable script into dir and returns its path.
std::string writeScript(const TempDir& dir, const std::string& name, const std::string& text);

// Sends raw bytes on a new connection and returns everything read until the
// server closes it or timeout passes.
std::string rawExchange(int port, const std::string& bytes,
                        std::chrono::milliseconds timeout = std::chrono::seconds(5));

} // namespace faasd::watchdog::test
