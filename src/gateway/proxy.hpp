#pragma once

// The sync invoke proxy: /function/{name}[.{ns}][/{path}] streamed to one
// ready replica (round robin) over a pooled keep-alive connection, and the
// answer streamed back. One Proxy per I/O thread.

#include "gateway/exchange.hpp"
#include "gateway/invoke.hpp"
#include "gateway/services.hpp"
#include "gateway/upstream_pool.hpp"

#include <string>
#include <unordered_map>

namespace faasd::gateway {

class Proxy {
public:
    Proxy(Executor executor, const Services& services, net::thread_pool& blocking);

    // target is what follows "/function/"; returns whether the client
    // connection stays open.
    Task<bool> invoke(Exchange& ex, std::string target, std::string rawQuery);

    UpstreamPool& pool() { return pool_; }

private:
    enum class SendResult { Ok, UpstreamFailed, ClientFailed, TooLarge };

    struct UpstreamRequest {
        std::string& head;    // request line and header fields, with the blank line
        bool chunked = false; // the body is sent in chunks (the caller's had no length)
    };

    struct Call {
        std::string& callId;
        std::string& startTime; // X-Start-Time
        unsigned status = 502;  // recorded in the metrics
        std::chrono::milliseconds upstreamTimeout{0};
    };

    Task<bool> answer(Exchange& ex, Call& call, Response response, bool keepAlive);
    // A function at zero replicas: woken by the ReplicaWaker, then resolved.
    Task<Result<std::vector<provider::Endpoint>>> endpointsFor(const InvokeTarget& t);
    Task<SendResult> sendRequest(Exchange& ex, const Call& call, Upstream& upstream,
                                           const UpstreamRequest& request,
                                           RequestParser<http::buffer_body>& body,
                                           bool hasBody, bool& bodyStarted);
    Task<bool> relayResponse(Exchange& ex, Call& call, const provider::Endpoint& endpoint,
                                       UpstreamPtr upstream,
                                       ResponseParser<http::buffer_body>& response,
                                       bool keepAlive,
                                       std::chrono::steady_clock::time_point started);

    Services services_;
    net::thread_pool& blocking_;
    UpstreamPool pool_;
    std::unordered_map<std::string, size_t> next_; // round robin per function
};

} // namespace faasd::gateway
