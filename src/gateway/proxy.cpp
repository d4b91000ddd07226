#include "gateway/proxy.hpp"

#include "common/log.hpp"
#include "common/random.hpp"

#include <fmt/format.h>
#include <limits>

namespace faasd::gateway {

namespace {

const Logger kLog("gateway");

constexpr std::string_view kInternalHeader = "X-Faasd-Internal";
constexpr std::string_view kTimeoutHeader = "X-Faasd-Upstream-Timeout";

// Headers not copied to the replica: hop-by-hop, framing, and those the
// proxy sets itself.
bool skipRequestHeader(std::string_view name) {
    return isHopByHopHeader(name) || equalsIgnoreCase(name, "Expect") ||
           equalsIgnoreCase(name, "Host") || equalsIgnoreCase(name, "Content-Length") ||
           equalsIgnoreCase(name, "X-Call-Id") || equalsIgnoreCase(name, "X-Start-Time") ||
           equalsIgnoreCase(name, kInternalHeader) || equalsIgnoreCase(name, kTimeoutHeader);
}

// The upstream timeout of this call: the configured one, or what an
// internal caller (one that knows the token) asked for.
std::chrono::milliseconds upstreamTimeoutFor(const http::fields& fields,
                                             const GatewayConfig& config) {
    auto token = fields.find(beast::string_view(kInternalHeader.data(), kInternalHeader.size()));
    auto wanted = fields.find(beast::string_view(kTimeoutHeader.data(), kTimeoutHeader.size()));
    if (config.internalToken.empty() || token == fields.end() || wanted == fields.end() ||
        !constantTimeEquals(sv(token->value()), config.internalToken)) {
        return config.upstreamTimeout;
    }
    uint64_t seconds = 0;
    for (char c : sv(wanted->value())) {
        if (c < '0' || c > '9' || seconds > 86'400) {
            return config.upstreamTimeout;
        }
        seconds = seconds * 10 + static_cast<uint64_t>(c - '0');
    }
    return seconds == 0 ? config.upstreamTimeout : std::chrono::seconds(seconds);
}

std::string headerOr(const http::fields& fields, std::string_view name, std::string fallback) {
    auto it = fields.find(beast::string_view(name.data(), name.size()));
    return it == fields.end() ? fallback : std::string(it->value());
}

} // namespace

Proxy::Proxy(net::any_io_executor executor, const Services& services, net::thread_pool& blocking)
    : services_(services), blocking_(blocking),
      pool_(std::move(executor), services.config->maxIdlePerUpstream,
            services.config->upstreamIdleTimeout) {}

net::awaitable<bool> Proxy::answer(Exchange& ex, Call& call, Response response, bool keepAlive) {
    call.status = response.status;
    response.headers.emplace_back("X-Call-Id", call.callId);
    response.headers.emplace_back("X-Start-Time", call.startTime);
    co_return co_await writeResponse(ex, std::move(response), keepAlive);
}

net::awaitable<Result<std::vector<provider::Endpoint>>> Proxy::endpointsFor(const InvokeTarget& t) {
    if (services_.waker == nullptr) {
        co_return fail(Code::Unavailable, "no replicas available for {}", t.qualified());
    }
    auto deadline = std::chrono::steady_clock::now() + services_.config->wakeTimeout;
    ReplicaWaker* waker = services_.waker;
    Result<void> woke =
        co_await runBlocking(blocking_, [&] { return waker->wake(t.name, t.ns, deadline); });
    if (!woke) {
        co_return fail(woke.error().context("waking " + t.qualified()));
    }
    auto endpoints = services_.provider->resolve(t.name, t.ns);
    if (endpoints && endpoints->empty()) {
        co_return fail(Code::Unavailable, "no replicas available for {}", t.qualified());
    }
    co_return endpoints;
}

net::awaitable<bool> Proxy::invoke(Exchange& ex, std::string target, std::string rawQuery) {
    const auto& config = *services_.config;
    const auto started = std::chrono::steady_clock::now();
    auto& req = ex.parser.get();
    const bool hasBody = !ex.parser.is_done();
    const bool clientKeepAlive = req.keep_alive();
    const bool isHead = req.method() == http::verb::head;

    Call call;
    call.callId = headerOr(req, "X-Call-Id", "");
    if (call.callId.empty()) {
        call.callId = uuid4();
    }
    call.startTime = unixNanos(std::chrono::system_clock::now());
    call.upstreamTimeout = upstreamTimeoutFor(req, config);

    auto parsed = parseInvokeTarget(target, config.defaultNamespace);
    if (!parsed) {
        co_return co_await answer(ex, call, errorResponse(parsed.error()),
                                  clientKeepAlive && !hasBody);
    }
    const InvokeTarget& t = *parsed;
    const std::string function = t.qualified();
    // resolve() answers from memory; only a function at zero replicas
    // takes the (suspending) wake path.
    auto endpoints = services_.provider->resolve(t.name, t.ns);
    if (endpoints && endpoints->empty()) {
        endpoints = co_await endpointsFor(t);
    }
    if (!endpoints && endpoints.error().code() == Code::NotFound) {
        // Unknown functions get no metric series: names come from callers.
        co_return co_await answer(ex, call, errorResponse(endpoints.error()),
                                  clientKeepAlive && !hasBody);
    }
    if (endpoints) {
        services_.metrics->started(function, endpoints->size());
    } else {
        services_.metrics->started(function);
    }
    struct Record {
        FunctionMetrics& metrics;
        const std::string& function;
        const Call& call;
        std::chrono::steady_clock::time_point started;
        ~Record() {
            metrics.finished(function, call.status, std::chrono::steady_clock::now() - started);
        }
    } record{*services_.metrics, function, call, started};
    if (!endpoints) {
        co_return co_await answer(ex, call, errorResponse(endpoints.error()),
                                  clientKeepAlive && !hasBody);
    }
    const provider::Endpoint endpoint = (*endpoints)[next_[function]++ % endpoints->size()];

    if (auto length = ex.parser.content_length(); length && *length > config.maxBodyBytes) {
        co_return co_await answer(ex, call, Response::text(413, "request body too large\n"), false);
    }
    if (hasBody && !co_await sendContinueIfExpected(ex)) {
        co_return false;
    }

    // The upstream request head, written out directly (the parsed header
    // was validated by the parser): path and query forwarded, hop-by-hop
    // dropped, our headers added.
    UpstreamRequest up;
    std::string& head = up.head;
    head.reserve(512);
    head.append(sv(req.method_string())).append(" ").append(t.path);
    if (!rawQuery.empty()) {
        head.append("?").append(rawQuery);
    }
    head.append(" HTTP/1.1\r\n");
    for (const auto& field : req) {
        const std::string_view name = sv(field.name_string());
        if (!skipRequestHeader(name)) {
            appendField(head, name, sv(field.value()));
        }
    }
    head.append("Host: ").append(endpoint.ip).append(":");
    appendNumber(head, endpoint.port);
    head.append("\r\n");
    if (req.find("X-Forwarded-Host") == req.end() && req.find(http::field::host) != req.end()) {
        appendField(head, "X-Forwarded-Host", sv(req[http::field::host]));
    }
    if (req.find("X-Forwarded-For") == req.end() && !ex.remoteAddress.empty()) {
        appendField(head, "X-Forwarded-For", ex.remoteAddress);
    }
    appendField(head, "X-Call-Id", call.callId);
    appendField(head, "X-Start-Time", call.startTime);
    if (hasBody) {
        if (auto length = ex.parser.content_length()) {
            head.append("Content-Length: ");
            appendNumber(head, *length);
            head.append("\r\n");
        } else {
            head += "Transfer-Encoding: chunked\r\n";
            up.chunked = true;
        }
    }
    head += "\r\n";

    // From here the client's body is read by a streaming parser.
    http::request_parser<http::buffer_body> body{std::move(ex.parser)};
    body.body_limit(config.maxBodyBytes);

    UpstreamPtr upstream;
    std::optional<http::response_parser<http::buffer_body>> rp;
    bool bodyStarted = false;
    beast::error_code ec;
    for (int attempt = 0;; ++attempt) {
        const bool bodyUnread = !hasBody || !bodyStarted;
        // A pooled connection is taken without a suspension; a new one is
        // connected by acquire().
        Result<UpstreamPtr> acquired = attempt == 0 ? pool_.takeIdle(endpoint, hasBody) : nullptr;
        if (!*acquired) {
            acquired =
                co_await pool_.acquire(endpoint, config.upstreamConnectTimeout, false, hasBody);
        }
        if (!acquired) {
            Response r = Response::text(
                acquired.error().code() == Code::Timeout ? 504 : 502,
                fmt::format("can't reach service {}: {}\n", function, acquired.error().message()));
            co_return co_await answer(ex, call, std::move(r), clientKeepAlive && bodyUnread);
        }
        upstream = std::move(*acquired);
        SendResult sent = SendResult::Ok;
        if (hasBody) {
            sent = co_await sendRequest(ex, call, *upstream, up, body, hasBody, bodyStarted);
        } else {
            // No body: the head alone, in one write.
            ex.upstreamDeadline.arm(upstream->stream.socket(), call.upstreamTimeout);
            co_await net::async_write(upstream->stream, net::buffer(up.head), ecToken(ec));
            ex.upstreamDeadline.disarm();
            if (ec) {
                kLog.debug("writing the request upstream: {}", ec.message());
                sent = SendResult::UpstreamFailed;
            }
        }
        if (sent == SendResult::ClientFailed) {
            call.status = 499; // the caller went away
            co_return false;
        }
        if (sent == SendResult::TooLarge) {
            co_return co_await answer(ex, call, Response::text(413, "request body too large\n"),
                                      false);
        }
        if (sent == SendResult::Ok) {
            rp.emplace();
            rp->body_limit(std::numeric_limits<uint64_t>::max()); // none misbehaves in Boost 1.74
            rp->skip(isHead);
            ex.upstreamDeadline.arm(upstream->stream.socket(), call.upstreamTimeout);
            co_await http::async_read_header(upstream->stream, upstream->buffer, *rp, ecToken(ec));
            ex.upstreamDeadline.disarm();
            if (!ec) {
                break;
            }
            kLog.debug("reading the response header of {}: {}", function, ec.message());
            if (ec == beast::error::timeout ||
                (ec == net::error::operation_aborted && ex.upstreamDeadline.expired)) {
                co_return co_await answer(
                    ex, call,
                    Response::text(504, fmt::format("{} did not answer in time\n", function)),
                    clientKeepAlive && body.is_done());
            }
        }
        // A pooled connection the replica had closed: retry once on a new
        // one while the client's body is still unread.
        if (upstream->reused && !bodyStarted && attempt == 0) {
            continue;
        }
        co_return co_await answer(
            ex, call, Response::text(502, fmt::format("can't reach service {}\n", function)),
            clientKeepAlive && (!hasBody || body.is_done()));
    }

    const bool keepAlive = clientKeepAlive && (!hasBody || body.is_done());
    co_return co_await relayResponse(ex, call, endpoint, std::move(upstream), *rp, keepAlive,
                                     started);
}

} // namespace faasd::gateway
