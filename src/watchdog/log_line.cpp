#include "watchdog/log_line.hpp"

#include <cerrno>
#include <cstdio>
#include <poll.h>
#include <unistd.h>

namespace faasd::watchdog {

namespace {

constexpr size_t flushThreshold = 64 * 1024;

void writeAll(int fd, std::string& buffer) {
    size_t done = 0;
    while (done < buffer.size()) {
        ssize_t n = ::write(fd, buffer.data() + done, buffer.size() - done);
        if (n > 0) {
            done += static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 1000);
        } else {
            break; // nowhere to log to: drop the lines
        }
    }
    buffer.clear();
}

} // namespace

std::string logPrefix(const std::tm& tm) {
    char out[96];
    std::snprintf(out, sizeof out, "%04d/%02d/%02d %02d:%02d:%02d ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
    return out;
}

std::string humanSize(double bytes) {
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    int unit = 0;
    while (bytes >= 1000 && unit < 4) {
        bytes /= 1000;
        ++unit;
    }
    char out[32];
    std::snprintf(out, sizeof out, "%.4g%s", bytes, units[unit]);
    return out;
}

std::string formatLogLine(const std::tm& tm, std::string_view message) {
    std::string line = logPrefix(tm);
    line.append(message);
    line += '\n';
    return line;
}

std::string wroteLine(size_t bytes, double seconds) {
    char out[96];
    std::snprintf(out, sizeof out, "Wrote %zu Bytes - Duration: %f seconds", bytes, seconds);
    return out;
}

LogSink& LogSink::instance() {
    static LogSink sink;
    return sink;
}

void LogSink::setScheduler(std::function<void(std::function<void()>)> schedule) {
    flush();
    schedule_ = std::move(schedule);
}

void LogSink::appendPrefix() {
    std::time_t now = std::time(nullptr);
    if (now != cachedSecond_) {
        std::tm tm{};
        localtime_r(&now, &tm);
        cachedPrefix_ = logPrefix(tm);
        cachedSecond_ = now;
    }
    err_ += cachedPrefix_;
}

void LogSink::line(std::string_view message) {
    appendPrefix();
    err_.append(message);
    if (err_.empty() || err_.back() != '\n') {
        err_ += '\n';
    }
    scheduleFlush();
}

void LogSink::raw(std::string_view message) {
    err_.append(message);
    err_ += '\n';
    scheduleFlush();
}

void LogSink::stdoutBytes(std::string_view bytes) {
    out_.append(bytes);
    scheduleFlush();
}

void LogSink::scheduleFlush() {
    if (!schedule_ || err_.size() + out_.size() >= flushThreshold) {
        flush();
        return;
    }
    if (!scheduled_) {
        scheduled_ = true;
        schedule_([this] {
            scheduled_ = false;
            flush();
        });
    }
}

void LogSink::flush() {
    if (!out_.empty()) {
        writeAll(STDOUT_FILENO, out_);
    }
    if (!err_.empty()) {
        writeAll(STDERR_FILENO, err_);
    }
}

void logLine(std::string_view message) {
    LogSink::instance().line(message);
}

void LineLogger::emit(std::string_view text) {
    if (prefix_) {
        std::string message = name_;
        message += ": ";
        message.append(text);
        LogSink::instance().line(message);
    } else {
        LogSink::instance().raw(text);
    }
}

void LineLogger::feed(std::string_view bytes) {
    while (!bytes.empty()) {
        size_t newline = bytes.find('\n');
        std::string_view piece =
            newline == std::string_view::npos ? bytes : bytes.substr(0, newline);
        size_t room = maxLine_ - partial_.size();
        if (piece.size() >= room) {
            // An overlong line is logged in pieces of maxLine bytes.
            partial_.append(piece.substr(0, room));
            emit(partial_);
            partial_.clear();
            bytes.remove_prefix(piece.size() == room && newline == room ? room + 1 : room);
            continue;
        }
        if (newline == std::string_view::npos) {
            partial_.append(piece);
            return;
        }
        if (partial_.empty()) {
            emit(piece);
        } else {
            partial_.append(piece);
            emit(partial_);
            partial_.clear();
        }
        bytes.remove_prefix(newline + 1);
    }
}

void LineLogger::finish() {
    if (!partial_.empty()) {
        emit(partial_);
        partial_.clear();
    }
}

} // namespace faasd::watchdog
