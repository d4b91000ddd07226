#pragma once

// Owned child processes. A Subprocess is killed (SIGKILL) and reaped when
// its owner lets go of it without waiting; run() feeds stdin, collects
// stdout/stderr, and enforces a timeout (SIGKILL + reap on expiry).
// Exit status: the exit code, or 128 + signal for a child killed by a signal.

#include "common/error.hpp"
#include "common/unique_fd.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <sys/types.h>
#include <vector>

namespace faasd {

enum class Stdio { Inherit, Null, Pipe };

struct SubprocessOptions {
    std::vector<std::string> argv;               // argv[0] is looked up in PATH
    std::optional<std::vector<std::string>> env; // "K=V"; nullopt inherits ours
    std::string cwd;                             // empty: ours
    Stdio in = Stdio::Null;
    Stdio out = Stdio::Pipe;
    Stdio err = Stdio::Pipe;
    bool newSession = false; // setsid(): own process group, no terminal
};

class Subprocess {
public:
    static Result<Subprocess> spawn(const SubprocessOptions& options);

    Subprocess(Subprocess&& other) noexcept;
    Subprocess& operator=(Subprocess&& other) noexcept;
    Subprocess(const Subprocess&) = delete;
    Subprocess& operator=(const Subprocess&) = delete;
    ~Subprocess();

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }
    UniqueFd& stdinFd() { return in_; }
    UniqueFd& stdoutFd() { return out_; }
    UniqueFd& stderrFd() { return err_; }

    bool running() const { return pid_ > 0 && !status_; }
    void kill(int signal) const;

    // Waits for exit; Code::Timeout if the child is still running after
    // timeout (it is left running). Returns the exit status.
    Result<int> wait(std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    // Non-blocking: the exit status if the child has exited.
    std::optional<int> poll();
    // Lets go of the child without killing or reaping it: it runs on as if
    // its owner had died (for a supervisor a test drops). Its pid.
    pid_t release();

private:
    Subprocess() = default;
    void reapNow();

    pid_t pid_ = -1;
    UniqueFd pidfd_;
    UniqueFd in_, out_, err_;
    std::optional<int> status_;
};

struct RunOutput {
    int status = 0;
    std::string out;
    std::string err;
};

// Runs a command to completion: writes input to its stdin (EPIPE is not an
// error: a child may exit without reading), reads stdout and stderr, and
// kills it if it takes longer than timeout (Code::Timeout). Output beyond
// maxOutput bytes per stream is an error (Code::ResourceExhausted).
Result<RunOutput> run(SubprocessOptions options, std::string_view input,
                      std::chrono::milliseconds timeout, size_t maxOutput = 16 << 20);

// This process's environment ("K=V") with key set to value, for a child's
// SubprocessOptions::env.
std::vector<std::string> environmentWith(std::string_view key, std::string_view value);

// Whether name is an executable: a path with '/', or found in $PATH (the
// way posix_spawnp looks it up).
bool isExecutable(const std::string& name);

// The string form of a command line for messages: "ip netns add x".
std::string commandLine(const std::vector<std::string>& argv);

} // namespace faasd
