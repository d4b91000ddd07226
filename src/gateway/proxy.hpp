#pragma once

// The sync invoke proxy: /function/{name}[.{ns}][/{path}] streamed to one
// ready replica (round robin) over a pooled keep-alive connection, and the
// answer streamed back. One Proxy per I/O thread.

#include "gateway/exchange.hpp"
#include "gateway/invoke.hpp"
#include "gateway/services.hpp"
#include "gateway/upstream_pool.hpp"

#include <optional>
#include <string>
#include <unordered_map>

namespace faasd::gateway {

// The caller's header fields the proxy reads (the first of each), found in
// one pass over the request's fields.
struct CallerFields {
    std::string_view callId;
    std::optional<std::string_view> internalToken;
    std::optional<std::string_view> timeout;
    std::optional<std::string_view> host;
    bool forwardedHost = false;
    bool forwardedFor = false;
};

// What one proxied call keeps while it runs. Its connection holds it (one
// call at a time) and hands it to each call, so it is not in the invoke
// coroutine's frame: GCC keeps every local of a coroutine in its frame,
// and a frame over 1 KiB costs a slow heap allocation per call. The
// strings keep their capacity from one call to the next.
struct ProxyCall {
    std::chrono::steady_clock::time_point started;
    bool hasBody = false;         // the caller sent a body
    bool clientKeepAlive = false; // the caller's connection may stay open
    bool isHead = false;
    bool chunked = false;     // the body goes upstream in chunks (the caller's had no length)
    std::string query;        // the raw query string, without '?'
    std::string callId;       // X-Call-Id, the caller's or a new one
    std::string startTime;    // X-Start-Time
    std::string requestHead;  // request line and header fields, with the blank line
    std::string responseHead; // the same for the answer to the caller
    InvokeTarget target;      // the function (metrics, messages) and the path
    CallerFields caller;
    provider::Endpoint endpoint;
    unsigned status = 502; // recorded in the metrics
    std::chrono::milliseconds upstreamTimeout{0};
    Response failure; // what answerFailure() sends
    // The streaming parsers of the caller's body and of the replica's
    // answer; their fields live in the connection's FieldArena, so they are
    // reset before it is.
    std::optional<RequestParser<http::buffer_body>> body;
    std::optional<ResponseParser<http::buffer_body>> response;
};

// The call's own header fields, set by the proxy on both sides (whatever
// the caller or the replica sent under these names is dropped).
bool isCallHeader(std::string_view name);
void appendCallFields(std::string& head, const ProxyCall& call);

// The upstream timeout of a call once its replica is picked: what an
// internal caller asked for (X-Faasd-Upstream-Timeout with the token, in
// seconds, at most a day), else the function's own over the daemon's
// (provider::UpstreamTimeout).
std::chrono::milliseconds upstreamTimeoutFor(const ProxyCall& call, const GatewayConfig& config);

class Proxy {
public:
    Proxy(Executor executor, const Services& services, net::thread_pool& blocking);

    // target is what follows "/function/" up to the query; returns whether
    // the client connection stays open.
    Task<bool> invoke(Exchange& ex, ProxyCall& call, std::string_view target,
                      std::string_view rawQuery);

    UpstreamPool& pool() { return pool_; }

private:
    enum class SendResult { Ok, UpstreamFailed, ClientFailed, TooLarge };

    // How a call goes on after a synchronous step.
    enum class Step { Go, Wake, Fail, Unknown };

    // The call's id, start time, caller fields and target, then its
    // replica: Go with call.endpoint set, Wake when the function is at zero
    // replicas, Fail with call.failure set, Unknown for a function that
    // does not exist (which gets no metric series).
    Step start(Exchange& ex, ProxyCall& call, std::string_view target, std::string_view rawQuery);
    Step pick(ProxyCall& call, Result<std::vector<provider::Endpoint>> endpoints);
    Step failWith(ProxyCall& call, Response response);
    // A function at zero replicas: woken by the ReplicaWaker, then resolved.
    Task<Result<std::vector<provider::Endpoint>>> endpointsFor(const api::FunctionRef& function);
    // Builds call.requestHead from the caller's request.
    void buildRequestHead(const Exchange& ex, ProxyCall& call);
    // Sends call.failure (the call's headers added).
    Task<bool> answerFailure(Exchange& ex, ProxyCall& call, bool keepAlive);
    Task<SendResult> sendRequest(Exchange& ex, ProxyCall& call, Upstream& upstream,
                                 bool& bodyStarted);
    Task<bool> relayResponse(Exchange& ex, ProxyCall& call, UpstreamPtr upstream, bool keepAlive);

    Services services_;
    net::thread_pool& blocking_;
    UpstreamPool pool_;
    api::FunctionMap<size_t> next_; // round robin per function
};

} // namespace faasd::gateway
