#include "gateway/upstream_pool.hpp"

#include <cerrno>
#include <sys/socket.h>

namespace faasd::gateway {

namespace {

std::string endpointKey(const provider::Endpoint& e) {
    return e.ip + ":" + std::to_string(e.port);
}

// An idle keep-alive connection is usable when reading from it would block:
// 0 means the peer closed it, data means it sent something unasked.
bool looksOpen(Socket& socket) {
    char c;
    ssize_t n = ::recv(socket.native_handle(), &c, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
}

} // namespace

UpstreamPtr UpstreamPool::takeIdle(const provider::Endpoint& endpoint, bool verify) {
    auto it = idle_.find(AddressView{endpoint.ip, endpoint.port});
    if (it == idle_.end()) {
        return nullptr;
    }
    auto& list = it->second;
    const auto now = std::chrono::steady_clock::now();
    while (!list.empty()) {
        UpstreamPtr u = std::move(list.back());
        list.pop_back();
        const auto idle = now - u->idleSince;
        if (idle < idleTimeout_ && ((!verify && idle < kTrustedIdle) || looksOpen(u->stream))) {
            u->reused = true;
            return u;
        }
    }
    return nullptr;
}

Task<Result<UpstreamPtr>> UpstreamPool::connect(const provider::Endpoint& endpoint,
                                                Deadline& deadline,
                                                std::chrono::milliseconds timeout) {
    const std::string key = endpointKey(endpoint);
    beast::error_code ec;
    auto address = net::ip::make_address(endpoint.ip, ec);
    if (ec) {
        co_return fail(Code::Unavailable, "replica {} has a bad address {}", endpoint.instance,
                       endpoint.ip);
    }
    auto u = std::make_unique<Upstream>(executor_);
    deadline.arm(u->stream, timeout);
    co_await u->stream.async_connect(tcp::endpoint(address, endpoint.port), ecToken(ec));
    deadline.disarm();
    if (ec == net::error::operation_aborted && deadline.expired) {
        co_return fail(Code::Timeout, "connecting to {} timed out", key);
    }
    if (ec) {
        co_return fail(Code::Unavailable, "connecting to {}: {}", key, ec.message());
    }
    u->stream.set_option(tcp::no_delay(true), ec);
    u->stream.non_blocking(true, ec); // see writeNow()
    co_return u;
}

void UpstreamPool::release(const provider::Endpoint& endpoint, UpstreamPtr upstream) {
    if (!upstream || upstream->buffer.size() != 0) {
        return; // leftover bytes: the connection's framing is unknown
    }
    auto it = idle_.find(AddressView{endpoint.ip, endpoint.port});
    if (it == idle_.end()) {
        it = idle_.emplace(Address{endpoint.ip, endpoint.port}, std::vector<UpstreamPtr>()).first;
    }
    auto& list = it->second;
    if (list.size() >= maxIdle_) {
        return;
    }
    upstream->idleSince = std::chrono::steady_clock::now();
    list.push_back(std::move(upstream));
}

size_t UpstreamPool::idleCount() const {
    size_t n = 0;
    for (const auto& [key, list] : idle_) {
        n += list.size();
    }
    return n;
}

} // namespace faasd::gateway
