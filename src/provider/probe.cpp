#include "provider/probe.hpp"

#include "common/unique_fd.hpp"

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace faasd::provider {

namespace {

using Clock = std::chrono::steady_clock;

int remainingMs(Clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return left.count() > 0 ? static_cast<int>(left.count()) : 0;
}

bool waitFor(int fd, short events, Clock::time_point deadline) {
    pollfd p{fd, events, 0};
    for (;;) {
        int rc = ::poll(&p, 1, remainingMs(deadline));
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        return rc > 0;
    }
}

} // namespace

Result<int> httpStatus(const std::string& ip, uint16_t port, const std::string& path,
                       std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    if (::inet_pton(AF_INET, ip.c_str(), &addr.sin_addr) != 1) {
        return fail(Code::InvalidArgument, "{} is not an IPv4 address", ip);
    }
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (!fd) {
        return fail(systemError("socket", errno));
    }
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0) {
        if (errno != EINPROGRESS) {
            return fail(systemError(fmt::format("connecting to {}:{}", ip, port), errno));
        }
        if (!waitFor(fd.get(), POLLOUT, deadline)) {
            return fail(Code::Timeout, "connecting to {}:{} timed out", ip, port);
        }
        int err = 0;
        socklen_t len = sizeof err;
        ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &len);
        if (err != 0) {
            return fail(systemError(fmt::format("connecting to {}:{}", ip, port), err));
        }
    }
    const std::string request = fmt::format(
        "GET {} HTTP/1.0\r\nHost: {}:{}\r\nUser-Agent: faasd-probe\r\n\r\n", path, ip, port);
    size_t sent = 0;
    while (sent < request.size()) {
        ssize_t n = ::send(fd.get(), request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            if (!waitFor(fd.get(), POLLOUT, deadline)) {
                return fail(Code::Timeout, "sending to {}:{} timed out", ip, port);
            }
            continue;
        }
        if (n < 0) {
            return fail(systemError(fmt::format("sending to {}:{}", ip, port), errno));
        }
        sent += static_cast<size_t>(n);
    }
    std::string head;
    char buf[512];
    while (head.find("\r\n") == std::string::npos && head.size() < 4096) {
        if (!waitFor(fd.get(), POLLIN, deadline)) {
            return fail(Code::Timeout, "waiting for {}:{} to answer timed out", ip, port);
        }
        ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n < 0) {
            return fail(systemError(fmt::format("reading from {}:{}", ip, port), errno));
        }
        if (n == 0) {
            break;
        }
        head.append(buf, static_cast<size_t>(n));
    }
    // "HTTP/1.1 200 OK"
    if (!head.starts_with("HTTP/") || head.find(' ') == std::string::npos) {
        return fail(Code::Unavailable, "{}:{} did not answer HTTP", ip, port);
    }
    auto sp = head.find(' ');
    int status = 0;
    for (size_t i = sp + 1; i < head.size() && i < sp + 4; ++i) {
        if (head[i] < '0' || head[i] > '9') {
            return fail(Code::Unavailable, "{}:{} answered a malformed status line", ip, port);
        }
        status = status * 10 + (head[i] - '0');
    }
    return status;
}

bool probeReady(const std::string& ip, uint16_t port, std::chrono::milliseconds timeout) {
    auto status = httpStatus(ip, port, "/_/health", timeout);
    return status && *status < 500;
}

} // namespace faasd::provider
