#pragma once

// Log lines in the format of Go's log package, which the OpenFaaS watchdogs
// use and which tools (the certifier, faas-cli logs users) look for:
// "2006/01/02 15:04:05 Forking fprocess." One line per write, to stderr.
// Lines are gathered while the event loop runs and written together, so a
// busy watchdog does not make one system call per line.

#include <ctime>
#include <functional>
#include <string>
#include <string_view>

namespace faasd::watchdog {

// "YYYY/MM/DD hh:mm:ss " for a broken-down time.
std::string logPrefix(const std::tm& tm);

// go-units HumanSize, as of-watchdog's access lines print sizes: "11B",
// "1.024kB", "5.243MB".
std::string humanSize(double bytes);

// The prefix followed by message and a newline.
std::string formatLogLine(const std::tm& tm, std::string_view message);

// "Wrote 11 Bytes - Duration: 0.001234 seconds"
std::string wroteLine(size_t bytes, double seconds);

// The process-wide log sink. Until setScheduler() is called every line is
// written at once.
class LogSink {
public:
    static LogSink& instance();

    // schedule(fn) must run fn soon, after the current event (asio::post).
    void setScheduler(std::function<void(std::function<void()>)> schedule);

    // A prefixed line ("2006/01/02 15:04:05 message").
    void line(std::string_view message);
    // A raw line, written as given plus a newline (prefix_logs=false).
    void raw(std::string_view message);
    // A chunk of bytes for stdout (write_debug output).
    void stdoutBytes(std::string_view bytes);

    void flush();

private:
    LogSink() = default;
    void appendPrefix();
    void scheduleFlush();

    std::string err_;
    std::string out_;
    std::function<void(std::function<void()>)> schedule_;
    bool scheduled_ = false;
    std::time_t cachedSecond_ = -1;
    std::string cachedPrefix_;
};

// Shorthand for LogSink::instance().line(message).
void logLine(std::string_view message);

// Splits a byte stream from a child into log lines ("stderr: line"), never
// holding more than maxLine bytes of an unfinished line.
class LineLogger {
public:
    LineLogger(std::string name, bool prefix, size_t maxLine = 64 * 1024)
        : name_(std::move(name)), prefix_(prefix), maxLine_(maxLine) {}

    void feed(std::string_view bytes);
    void finish(); // logs what is left of an unfinished line

private:
    void emit(std::string_view text);

    std::string name_;
    bool prefix_;
    size_t maxLine_;
    std::string partial_;
};

} // namespace faasd::watchdog
