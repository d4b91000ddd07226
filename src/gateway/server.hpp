#pragma once

// The HTTP engine: Boost.Beast on Asio, one io_context per I/O thread
// (nothing shared between them on the request path), one acceptor handing
// connections out round robin, C++20 coroutines per connection, and a
// small thread pool for handlers that call the provider.

#include "common/error.hpp"
#include "gateway/services.hpp"

#include <memory>

namespace faasd::gateway {

class Server {
public:
    Server(const GatewayConfig& config, const Services& services);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    Result<void> start();
    void stop();
    uint16_t port() const;
    uint16_t internalPort() const; // see Gateway::internalPort()
    Result<void> reloadTls();

    struct Impl; // opaque: Beast and Asio stay in server.cpp

private:
    std::unique_ptr<Impl> impl_;
};

} // namespace faasd::gateway
