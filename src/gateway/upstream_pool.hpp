#pragma once

// Keep-alive connections to function replicas, per endpoint. One pool per
// I/O thread, used only from that thread, so it needs no lock. The number
// of idle connections kept per endpoint is bounded; idle ones expire.

#include "gateway/exchange.hpp"
#include "provider/provider.hpp"

#include <array>
#include <chrono>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

namespace faasd::gateway {

struct Upstream {
    static constexpr size_t kChunk = 16 * 1024;

    explicit Upstream(const Executor& executor) : stream(executor) {}
    Socket stream;
    beast::flat_buffer buffer;
    // Where body pieces pass through, both ways; kept with the connection
    // so no call allocates one (nor carries it in a coroutine frame).
    std::array<char, kChunk> chunk;
    bool reused = false;
    std::chrono::steady_clock::time_point idleSince;
};
using UpstreamPtr = std::unique_ptr<Upstream>;

class UpstreamPool {
public:
    UpstreamPool(Executor executor, size_t maxIdlePerEndpoint,
                 std::chrono::milliseconds idleTimeout)
        : executor_(std::move(executor)), maxIdle_(maxIdlePerEndpoint), idleTimeout_(idleTimeout) {}

    // A new connection, made under deadline (armed here for timeout and
    // enforced by the server's sweep). Errors: Timeout when connecting takes
    // too long, Unavailable when the replica refuses or is unreachable.
    Task<Result<UpstreamPtr>> connect(const provider::Endpoint& endpoint, Deadline& deadline,
                                      std::chrono::milliseconds timeout);

    // Replicas close keep-alive connections after seconds of idleness, not
    // within this; a connection idle for less is used unchecked (and a
    // bodiless request on it is retried once if it turns out closed).
    static constexpr std::chrono::milliseconds kTrustedIdle{1'000};
    // Returns a connection whose last exchange completed cleanly.
    void release(const provider::Endpoint& endpoint, UpstreamPtr upstream);

    // A pooled connection to endpoint that is usable, or null; never
    // suspends. A connection idle for longer than kTrustedIdle, or any when
    // verify is set (the request has a body, so it could not be retried),
    // is first checked to be still open.
    UpstreamPtr takeIdle(const provider::Endpoint& endpoint, bool verify);

    size_t idleCount() const;
    void clear() { idle_.clear(); }

private:
    // Idle connections by replica address, looked up without building a
    // key string (the map's hash and equality take an address view).
    struct Address {
        std::string ip;
        uint16_t port;
    };
    struct AddressView {
        std::string_view ip;
        uint16_t port;
    };
    struct AddressHash {
        using is_transparent = void;
        size_t operator()(AddressView a) const {
            return std::hash<std::string_view>()(a.ip) * 31 + a.port;
        }
        size_t operator()(const Address& a) const { return (*this)(AddressView{a.ip, a.port}); }
    };
    struct AddressEqual {
        using is_transparent = void;
        static AddressView view(const Address& a) { return {a.ip, a.port}; }
        static AddressView view(AddressView a) { return a; }
        template <typename A, typename B> bool operator()(const A& a, const B& b) const {
            return view(a).ip == view(b).ip && view(a).port == view(b).port;
        }
    };

    Executor executor_;
    size_t maxIdle_;
    std::chrono::milliseconds idleTimeout_;
    std::unordered_map<Address, std::vector<UpstreamPtr>, AddressHash, AddressEqual> idle_;
};

} // namespace faasd::gateway
