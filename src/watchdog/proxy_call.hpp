#pragma once

// One proxied request (mode=http): the client's request is re-framed onto
// an upstream connection, the answer is parsed and passed on piece by
// piece. A request that fails on a reused idle connection before any answer
// arrived is retried once on a new connection when it was sent whole.

#include "watchdog/proxy_handler.hpp"
#include "watchdog/session.hpp"

#include <memory>
#include <optional>
#include <string>

namespace faasd::watchdog {

class ProxyCall : public std::enable_shared_from_this<ProxyCall> {
public:
    ProxyCall(ProxyHandler& handler, std::shared_ptr<Session> session);
    void run();

private:
    void connect();
    void buildRequest();
    void sendRequest();
    void pumpBody();
    void readResponse();
    void onResponseData(const error_code& ec, size_t n);
    void processResponse();
    void emitHead();
    void finishResponse();
    void logRequest();
    void upstreamFailed(const std::string& what, const error_code& ec);
    void onTimeout();
    void onAbort();
    void closeUpstream();
    void finish();

    ProxyHandler& h_;
    std::shared_ptr<Session> session_;
    std::unique_ptr<UpstreamConnection> conn_;
    std::optional<ResponseParser> parser_;
    std::string request_; // the head (and the body when it came whole)
    std::string bodyOut_; // streamed request body pieces
    std::string chunk_;   // response body on its way to the client
    bool bodyChunked_ = false;
    bool requestSent_ = false;  // the whole request is on the upstream connection
    bool requestWhole_ = false; // request_ holds all of it (retry possible)
    bool gotResponse_ = false;
    bool retried_ = false;
    bool done_ = false;
};

} // namespace faasd::watchdog
