#pragma once

// GET /system/logs: parameters, and the NDJSON stream fed by a thread that
// runs Provider::logs (which blocks while following).

#include "api/types.hpp"
#include "gateway/exchange.hpp"
#include "gateway/services.hpp"

#include <condition_variable>
#include <deque>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

namespace faasd::gateway {

// name (required), namespace, instance, tail (-1: all), since (RFC 3339),
// follow (true/false/1/0). Errors are InvalidArgument; the route answers 422.
Result<api::LogRequest> parseLogRequest(const Request& request, const std::string& defaultNs);

// Lines from the provider's thread to the I/O thread, with back pressure.
class LogChannel : public std::enable_shared_from_this<LogChannel> {
public:
    explicit LogChannel(const Executor& executor) : timer_(executor) {}

    // Producer side (provider thread). push() blocks while the queue is full;
    // false means stop.
    bool push(std::string line);
    void finish(std::optional<Error> error);

    // Consumer side (I/O thread).
    struct Batch {
        std::deque<std::string> lines;
        bool done = false;
        std::optional<Error> error;
    };
    Batch take();
    Task<void> wait(std::chrono::milliseconds atMost);

    // Any thread, while the I/O thread's io_context exists.
    void cancel();

    const std::atomic<bool>& stopFlag() const { return stop_; }

private:
    void wake();

    static constexpr size_t kMaxQueued = 256;
    Timer timer_;
    std::mutex mutex_;
    std::condition_variable space_;
    std::deque<std::string> lines_;
    bool done_ = false;
    std::optional<Error> error_;
    std::atomic<bool> stop_{false};
};

// Owns the provider threads of all log streams; stopAll() ends and joins them.
class LogStreams {
public:
    ~LogStreams() { stopAll(); }
    void start(std::shared_ptr<LogChannel> channel, std::function<void()> run);
    void stopAll();

private:
    struct Entry {
        std::shared_ptr<LogChannel> channel;
        std::shared_ptr<std::atomic<bool>> finished;
        std::thread thread;
    };
    std::mutex mutex_;
    std::list<Entry> entries_;
};

// Serves one /system/logs request; returns whether the connection stays open.
Task<bool> streamLogs(Exchange& ex, const Request& request, const Services& services,
                      LogStreams& streams);

} // namespace faasd::gateway
