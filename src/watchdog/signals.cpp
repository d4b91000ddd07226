#include "watchdog/signals.hpp"

#include <cerrno>
#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

namespace faasd::watchdog {

namespace {

sigset_t watchedSignals() {
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGCHLD);
    return set;
}

} // namespace

SignalWatcher::SignalWatcher(boost::asio::io_context& io, std::function<void(int)> onSignal)
    : fd_(io), onSignal_(std::move(onSignal)) {}

Result<void> SignalWatcher::block() {
    sigset_t set = watchedSignals();
    sigaddset(&set, SIGPIPE);
    // Children inherit dispositions: an ignored SIGPIPE (from whoever
    // started the watchdog) must not reach the function.
    ::signal(SIGPIPE, SIG_DFL);
    if (sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
        return fail(systemError("blocking signals", errno));
    }
    return {};
}

Result<void> SignalWatcher::start() {
    sigset_t set = watchedSignals();
    int fd = ::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
    if (fd < 0) {
        return fail(systemError("signalfd", errno));
    }
    boost::system::error_code ec;
    fd_.assign(fd, ec);
    if (ec) {
        ::close(fd);
        return fail(Code::Internal, "watching signals: {}", ec.message());
    }
    wait();
    return {};
}

void SignalWatcher::wait() {
    fd_.async_wait(boost::asio::posix::stream_descriptor::wait_read,
                   [this](const boost::system::error_code& ec) {
                       if (!ec) {
                           onReadable();
                       }
                   });
}

void SignalWatcher::onReadable() {
    for (;;) {
        signalfd_siginfo info{};
        ssize_t n = ::read(fd_.native_handle(), &info, sizeof info);
        if (n != static_cast<ssize_t>(sizeof info)) {
            break; // EAGAIN: all read
        }
        onSignal_(static_cast<int>(info.ssi_signo));
    }
    wait();
}

} // namespace faasd::watchdog
