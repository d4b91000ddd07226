#include "common/log.hpp"

#include <chrono>
#include <ctime>
#include <string>
#include <unistd.h>

namespace faasd {
namespace {

std::atomic<int> g_level{static_cast<int>(LogLevel::Info)};
std::atomic<bool> g_timestamps{false};

std::string_view levelName(LogLevel level) {
    switch (level) {
    case LogLevel::Debug:
        return "debug";
    case LogLevel::Info:
        return "info";
    case LogLevel::Warn:
        return "warn";
    case LogLevel::Error:
        return "error";
    case LogLevel::Off:
        break;
    }
    return "off";
}

} // namespace

std::optional<LogLevel> parseLogLevel(std::string_view name) {
    for (auto level :
         {LogLevel::Debug, LogLevel::Info, LogLevel::Warn, LogLevel::Error, LogLevel::Off}) {
        if (levelName(level) == name) {
            return level;
        }
    }
    return std::nullopt;
}

void setLogLevel(LogLevel level) {
    g_level.store(static_cast<int>(level));
}
LogLevel logLevel() {
    return static_cast<LogLevel>(g_level.load());
}
void setLogTimestamps(bool enabled) {
    g_timestamps.store(enabled);
}

bool Logger::enabled(LogLevel level) const {
    return static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void Logger::write(LogLevel level, std::string_view message) const {
    std::string line;
    if (g_timestamps.load(std::memory_order_relaxed)) {
        auto now = std::chrono::system_clock::now();
        std::time_t t = std::chrono::system_clock::to_time_t(now);
        std::tm tm{};
        gmtime_r(&t, &tm);
        char stamp[32];
        std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ ", &tm);
        line += stamp;
    }
    line += fmt::format("{} {}: {}\n", levelName(level), component_, message);
    // One write(2) a line keeps lines whole when threads log at once.
    size_t off = 0;
    while (off < line.size()) {
        ssize_t n = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
        if (n <= 0) {
            break;
        }
        off += static_cast<size_t>(n);
    }
}

} // namespace faasd
