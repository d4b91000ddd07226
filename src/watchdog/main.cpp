// fwatchdog: the entrypoint of every function container. Serves the
// function over HTTP on :8080 in one of the OpenFaaS watchdog modes; see
// src/watchdog/README.md.
//
//   fwatchdog                    serve (configured by the environment)
//   fwatchdog --run-healthcheck  exit 0 if the lock file exists
//   fwatchdog --version

#include "common/scope_exit.hpp"
#include "faasd_version.h"
#include "watchdog/config.hpp"
#include "watchdog/fork_handler.hpp"
#include "watchdog/lock_file.hpp"
#include "watchdog/log_line.hpp"
#include "watchdog/metrics.hpp"
#include "watchdog/proxy_handler.hpp"
#include "watchdog/server.hpp"
#include "watchdog/signals.hpp"
#include "watchdog/spawn.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

extern char** environ;

namespace faasd::watchdog {
namespace {

// Pipes must never land on 0, 1 or 2.
void ensureStandardFds() {
    for (int fd = 0; fd < 3; ++fd) {
        if (::fcntl(fd, F_GETFD) < 0) {
            int null = ::open("/dev/null", O_RDWR);
            if (null >= 0 && null != fd) {
                ::dup2(null, fd);
                ::close(null);
            }
        }
    }
}

bool flag(int argc, char** argv, const char* name) {
    for (int i = 1; i < argc; ++i) {
        const char* arg = argv[i];
        if (arg[0] == '-' && arg[1] == '-') {
            ++arg;
        }
        if (std::strcmp(arg, name) == 0) {
            return true;
        }
    }
    return false;
}

int run(int argc, char** argv) {
    ensureStandardFds();
    Env env = environFromProcess(environ);
    if (flag(argc, argv, "-version")) {
        std::printf("fwatchdog version: %s\tSHA: %s\n", FAASD_VERSION, FAASD_GIT_SHA);
        return 0;
    }
    if (flag(argc, argv, "-run-healthcheck")) {
        if (lockFilePresent(lockPathFromEnv(env))) {
            return 0;
        }
        std::fprintf(stderr, "unable to find lock file.\n");
        return 1;
    }

    // The function's code runs as the watchdog's user: not dumpable, the
    // watchdog cannot be traced by it, nor its memory read or written
    // through /proc/1/mem (the function's own processes are dumpable again
    // after their execve).
    ::prctl(PR_SET_DUMPABLE, 0);

    logLine(std::string("Version: ") + FAASD_VERSION + "\tSHA: " + FAASD_GIT_SHA);
    auto config = fromEnv(env);
    if (!config) {
        logLine("Error loading config: " + config.error().message());
        return 1;
    }
    if (auto blocked = SignalWatcher::block(); !blocked) {
        logLine("Error: " + blocked.error().message());
        return 1;
    }

    boost::asio::io_context io(1);
    LogSink::instance().setScheduler(
        [&io](std::function<void()> fn) { boost::asio::post(io, std::move(fn)); });
    ScopeExit flushLogs([] {
        LogSink::instance().setScheduler(nullptr);
        LogSink::instance().flush();
    });

    Metrics metrics;
    ChildReaper reaper;
    std::unique_ptr<Handler> handler;
    if (config->mode == Mode::Http) {
        handler = std::make_unique<ProxyHandler>(io, *config, reaper);
    } else {
        handler = std::make_unique<ForkHandler>(io, *config, reaper, environ);
    }
    Server server(io, *config, metrics, *handler);

    int exitCode = 0;
    auto exitWith = [&](int code) {
        exitCode = code;
        io.stop();
    };
    SignalWatcher signals(io, [&](int signo) {
        if (signo == SIGCHLD) {
            reaper.reapAll();
            return;
        }
        if (server.draining()) {
            return;
        }
        server.shutdown([&] { handler->stop([&] { exitWith(0); }); });
    });
    if (auto started = signals.start(); !started) {
        logLine("Error: " + started.error().message());
        return 1;
    }

    if (auto listening = server.listen(); !listening) {
        logLine("Error: " + listening.error().message());
        return 1;
    }
    logLine("Watchdog mode: " + std::string(modeName(config->mode)) + "\tfprocess: \"" +
            config->fprocess + "\"");
    logLine("Timeouts: read: " + formatDuration(config->readTimeout) + " write: " +
            formatDuration(config->writeTimeout) + " hard: " + formatDuration(config->execTimeout) +
            " health: " + formatDuration(config->healthcheckInterval));
    logLine("Listening on port: " + std::to_string(server.port()));
    if (server.metricsPort()) {
        logLine("Metrics listening on port: " + std::to_string(*server.metricsPort()));
    }

    auto started = handler->start(
        [&] {
            if (auto ready = server.markReady(); !ready) {
                logLine("Error: " + ready.error().message());
                exitWith(1);
            }
        },
        [&](int code) {
            removeLockFile(config->lockPath);
            exitWith(code);
        });
    if (!started) {
        logLine("Error: " + started.error().message());
        return 1;
    }
    server.start();
    io.run();

    reaper.killAll();
    return exitCode;
}

} // namespace
} // namespace faasd::watchdog

int main(int argc, char** argv) {
    return faasd::watchdog::run(argc, argv);
}
