#pragma once

// fwatchdog's configuration: a pure function of the environment. The names
// are OpenFaaS's (classic watchdog and of-watchdog); README.md here lists
// them with their defaults.

#include "common/error.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::watchdog {

using Env = std::map<std::string, std::string, std::less<>>;
using Millis = std::chrono::milliseconds;

enum class Mode {
    Classic,     // fork per request, buffered, CGI-style environment
    Streaming,   // fork per request, stdin/stdout streamed
    Serializing, // fork per request, buffered, 500 with the error text
    Http,        // one long-lived upstream HTTP server, reverse proxied
};

std::string_view modeName(Mode mode);

// Where the upstream of mode=http listens: an IP literal (or localhost),
// a port, and a path prefix put before every request target.
struct UpstreamUrl {
    std::string host; // "127.0.0.1", "::1"
    uint16_t port = 0;
    std::string pathPrefix; // "" or "/base" (no trailing slash)
};

struct Config {
    Mode mode = Mode::Classic;
    std::string fprocess;          // as given
    std::vector<std::string> argv; // fprocess split on spaces
    std::optional<UpstreamUrl> upstream;

    Millis readTimeout{30'000};
    Millis writeTimeout{30'000};
    Millis execTimeout{0}; // 0: none
    Millis healthcheckInterval{0};

    int port = 8080;
    int metricsPort = 8081; // -1: no metrics listener
    size_t maxInflight = 0; // 0: unlimited

    bool combineOutput = true;
    bool cgiHeaders = true;
    bool writeDebug = false;
    bool prefixLogs = true;
    bool suppressLock = false;
    // Response Content-Type; unset: classic mirrors the request's, the
    // other fork modes answer application/octet-stream.
    std::optional<std::string> contentType;

    std::string lockPath = "/tmp/.lock";
    uint64_t maxRequestBytes = 64ull << 20;  // 0: unlimited; beyond: 413
    uint64_t maxResponseBytes = 64ull << 20; // buffered modes; 0: unlimited
};

// Parses an OpenFaaS timeout: whole seconds ("10") or a Go duration
// ("10s", "500ms", "1m30s", "1.5h").
Result<Millis> parseDuration(std::string_view text);

// Formats a duration the way Go prints time.Duration ("30s", "500ms",
// "1m30s", "0s").
std::string formatDuration(Millis d);

// Parses "http://127.0.0.1:5000[/prefix]".
Result<UpstreamUrl> parseUpstreamUrl(std::string_view text);

// Splits fprocess on spaces, dropping empty words ("a  b" -> a, b).
std::vector<std::string> splitCommand(std::string_view command);

// $TMPDIR/.lock (Go's os.TempDir()), /tmp/.lock without TMPDIR.
std::string lockPathFromEnv(const Env& env);

// The configuration the environment describes, or what is wrong with it.
Result<Config> fromEnv(const Env& env);

// The process environment as an Env.
Env environFromProcess(char** envp);

} // namespace faasd::watchdog
