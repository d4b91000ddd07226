#pragma once

// SIGTERM, SIGINT and SIGCHLD arrive through a signalfd on the event loop;
// SIGPIPE is blocked (a write to a closed pipe returns EPIPE). Children get
// an empty mask back at spawn.

#include "common/error.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <functional>

namespace faasd::watchdog {

class SignalWatcher {
public:
    SignalWatcher(boost::asio::io_context& io, std::function<void(int signo)> onSignal);

    // Blocks the signals for the whole process; call before anything else.
    static Result<void> block();
    Result<void> start();

private:
    void wait();
    void onReadable();

    boost::asio::posix::stream_descriptor fd_;
    std::function<void(int)> onSignal_;
};

} // namespace faasd::watchdog
