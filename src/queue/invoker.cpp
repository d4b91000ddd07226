#include "queue/invoker.hpp"

#include "common/http_headers.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <httplib.h>

namespace faasd::queue {

namespace {

// Hop-by-hop fields, and those each request sets again.
bool dropped(std::string_view name) {
    return isHopByHop(name) || iequals(name, "Content-Length") || iequals(name, "Host") ||
           iequals(name, "Expect");
}

Outcome toOutcome(const httplib::Result& res) {
    Outcome o;
    if (!res) {
        o.error = httplib::to_string(res.error());
        return o;
    }
    o.reached = true;
    o.status = res->status;
    o.body = res->body;
    for (const auto& [k, v] : res->headers) {
        if (!dropped(k)) {
            o.headers.emplace_back(k, v);
        }
    }
    return o;
}

template <typename Duration> void setTimeouts(httplib::Client& c, Duration connect, Duration io) {
    c.set_connection_timeout(std::chrono::duration_cast<std::chrono::microseconds>(connect));
    c.set_read_timeout(std::chrono::duration_cast<std::chrono::microseconds>(io));
    c.set_write_timeout(std::chrono::duration_cast<std::chrono::microseconds>(io));
}

// The client waits a little longer than the gateway, whose 504 then
// arrives first.
constexpr std::chrono::milliseconds kClientGrace{5'000};

} // namespace

std::string upstreamTimeoutHeader(std::chrono::milliseconds timeout) {
    const auto seconds = std::chrono::ceil<std::chrono::seconds>(timeout).count();
    return std::to_string(std::clamp<int64_t>(seconds, 1, 86'400));
}

bool splitUrl(const std::string& url, std::string& origin, std::string& target) {
    size_t scheme = url.find("://");
    if (scheme == std::string::npos ||
        (url.compare(0, scheme, "http") != 0 && url.compare(0, scheme, "https") != 0)) {
        return false;
    }
    size_t slash = url.find_first_of("/?#", scheme + 3);
    origin = url.substr(0, slash);
    target = slash == std::string::npos ? "/" : url.substr(slash);
    if (auto hash = target.find('#'); hash != std::string::npos) {
        target.resize(hash);
    }
    if (target.empty() || target[0] == '?') {
        target.insert(0, "/");
    }
    return origin.size() > scheme + 3;
}

HttpInvoker::HttpInvoker(HttpInvokerConfig config) : config_(std::move(config)) {}

HttpInvoker::~HttpInvoker() = default;

std::unique_ptr<httplib::Client> HttpInvoker::takeClient(const std::string& origin) {
    std::lock_guard lock(mutex_);
    if (cancelled_) {
        return nullptr;
    }
    std::unique_ptr<httplib::Client> c;
    if (auto it = idle_.find(origin); it != idle_.end() && !it->second.empty()) {
        c = std::move(it->second.back());
        it->second.pop_back();
        idleCount_--;
    } else if (origin.empty()) {
        c = std::make_unique<httplib::Client>(config_.gatewayHost, config_.gatewayPort);
        setTimeouts(*c, config_.connectTimeout, config_.invokeTimeout);
    } else {
        c = std::make_unique<httplib::Client>(origin);
        setTimeouts(*c, config_.connectTimeout, config_.callbackTimeout);
    }
    c->set_keep_alive(true);
    c->set_tcp_nodelay(true);
    c->set_url_encode(false);
    busy_.insert(c.get());
    return c;
}

void HttpInvoker::giveBack(const std::string& origin, std::unique_ptr<httplib::Client> client,
                           bool reuse) {
    std::lock_guard lock(mutex_);
    busy_.erase(client.get());
    if (!reuse || cancelled_ || idleCount_ >= 256) {
        return;
    }
    auto& list = idle_[origin];
    if (list.size() < 64) {
        list.push_back(std::move(client));
        idleCount_++;
    }
}

Outcome HttpInvoker::invoke(const Job& job) {
    auto client = takeClient("");
    if (!client) {
        return Outcome{.error = "shutting down"};
    }
    httplib::Request req;
    req.method = job.method;
    req.path = "/function/" + job.function.qualified() + job.path;
    if (!job.query.empty()) {
        req.path += "?" + job.query;
    }
    for (const auto& [k, v] : job.headers) {
        if (!dropped(k) && !iequals(k, "X-Call-Id") && !iequals(k, "X-Callback-Url") &&
            !iequals(k, "X-Faasd-Internal") && !iequals(k, "X-Faasd-Upstream-Timeout")) {
            req.headers.emplace(k, v);
        }
    }
    req.headers.emplace("X-Call-Id", job.callId);
    const std::chrono::milliseconds timeout = job.timeout.over(config_.invokeTimeout);
    setTimeouts(*client, config_.connectTimeout, timeout + kClientGrace);
    if (!config_.internalToken.empty()) {
        req.headers.emplace("X-Faasd-Internal", config_.internalToken);
        req.headers.emplace("X-Faasd-Upstream-Timeout", upstreamTimeoutHeader(timeout));
    }
    req.body = job.body;
    if (!req.has_header("Content-Type") && !job.body.empty()) {
        req.headers.emplace("Content-Type", "application/octet-stream");
    }
    Outcome o = toOutcome(client->send(req));
    giveBack("", std::move(client), o.reached);
    return o;
}

Outcome HttpInvoker::callback(const std::string& url, const HeaderList& headers,
                              const std::string& body) {
    std::string origin;
    std::string target;
    if (!splitUrl(url, origin, target)) {
        return Outcome{.error = "not an http(s) URL: " + url};
    }
    auto client = takeClient(origin);
    if (!client) {
        return Outcome{.error = "shutting down"};
    }
    httplib::Headers h;
    std::string contentType = "application/octet-stream";
    for (const auto& [k, v] : headers) {
        if (iequals(k, "Content-Type")) {
            contentType = v;
        } else if (!dropped(k)) {
            h.emplace(k, v);
        }
    }
    Outcome o = toOutcome(client->Post(target, h, body, contentType));
    giveBack(origin, std::move(client), o.reached);
    return o;
}

void HttpInvoker::cancel() {
    std::lock_guard lock(mutex_);
    cancelled_ = true;
    for (auto* c : busy_) {
        c->stop();
    }
    idle_.clear();
    idleCount_ = 0;
}

} // namespace faasd::queue
