#pragma once

// Component loggers: `static Logger log("provider"); log.info("deployed {}", name);`
// The level is checked before anything is formatted. Lines go to stderr as
// "LEVEL component: message" (journald adds time and unit), or with a
// timestamp when FAASD_LOG_TIME is set.

#include <atomic>
#include <fmt/format.h>
#include <optional>
#include <string_view>

namespace faasd {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

std::optional<LogLevel> parseLogLevel(std::string_view name);
void setLogLevel(LogLevel level);
LogLevel logLevel();
void setLogTimestamps(bool enabled);

class Logger {
public:
    explicit constexpr Logger(std::string_view component) : component_(component) {}

    bool enabled(LogLevel level) const;

    template <typename... Args> void debug(fmt::format_string<Args...> f, Args&&... args) const {
        log(LogLevel::Debug, f, std::forward<Args>(args)...);
    }
    template <typename... Args> void info(fmt::format_string<Args...> f, Args&&... args) const {
        log(LogLevel::Info, f, std::forward<Args>(args)...);
    }
    template <typename... Args> void warn(fmt::format_string<Args...> f, Args&&... args) const {
        log(LogLevel::Warn, f, std::forward<Args>(args)...);
    }
    template <typename... Args> void error(fmt::format_string<Args...> f, Args&&... args) const {
        log(LogLevel::Error, f, std::forward<Args>(args)...);
    }

private:
    template <typename... Args>
    void log(LogLevel level, fmt::format_string<Args...> f, Args&&... args) const {
        if (!enabled(level)) {
            return;
        }
        write(level, fmt::format(f, std::forward<Args>(args)...));
    }
    void write(LogLevel level, std::string_view message) const;

    std::string_view component_;
};

} // namespace faasd
