#pragma once

// How the queue's workers reach functions and callback receivers. The real
// one speaks HTTP: invocations go to the gateway's own /function/ route on
// loopback, so they take the sync path (proxy, wake from zero, metrics).

#include "queue/job.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace httplib {
class Client;
}

namespace faasd::queue {

struct Outcome {
    bool reached = false; // an HTTP answer came back
    int status = 0;
    HeaderList headers;
    std::string body;
    std::string error; // when !reached
};

class Invoker {
public:
    virtual ~Invoker() = default;
    // Invokes the function of job like a sync call, with X-Call-Id set.
    virtual Outcome invoke(const Job& job) = 0;
    // POSTs body with headers to url.
    virtual Outcome callback(const std::string& url, const HeaderList& headers,
                             const std::string& body) = 0;
    // Aborts calls in progress (shutdown past its bound).
    virtual void cancel() = 0;
};

struct HttpInvokerConfig {
    std::string gatewayHost = "127.0.0.1";
    uint16_t gatewayPort = 8080;
    std::chrono::milliseconds connectTimeout{5'000};
    // A job's upstream timeout unless its function has its own
    // (Job::timeout over this one).
    std::chrono::milliseconds invokeTimeout{600'000};
    // The gateway's internal token: with it each invocation asks the proxy
    // for the job's timeout as its upstream timeout
    // (GatewayConfig::internalToken); the client waits that long too.
    std::string internalToken;
    std::chrono::milliseconds callbackTimeout{30'000};
};

class HttpInvoker : public Invoker {
public:
    explicit HttpInvoker(HttpInvokerConfig config);
    ~HttpInvoker() override;

    Outcome invoke(const Job& job) override;
    Outcome callback(const std::string& url, const HeaderList& headers,
                     const std::string& body) override;
    void cancel() override;

private:
    // Keep-alive clients by origin ("" is the gateway); null once cancelled.
    std::unique_ptr<httplib::Client> takeClient(const std::string& origin);
    void giveBack(const std::string& origin, std::unique_ptr<httplib::Client> client, bool reuse);

    HttpInvokerConfig config_;
    std::mutex mutex_;
    bool cancelled_ = false;
    std::map<std::string, std::vector<std::unique_ptr<httplib::Client>>> idle_;
    size_t idleCount_ = 0;
    std::set<httplib::Client*> busy_;
};

// X-Faasd-Upstream-Timeout for a timeout: whole seconds, rounded up,
// within 1 s and a day (what the gateway accepts).
std::string upstreamTimeoutHeader(std::chrono::milliseconds timeout);

// "http://host:port/path?q" -> {"http://host:port", "/path?q"}; false when
// it is not an http(s) URL.
bool splitUrl(const std::string& url, std::string& origin, std::string& target);

} // namespace faasd::queue
