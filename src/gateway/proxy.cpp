#include "gateway/proxy.hpp"

#include "common/log.hpp"
#include "common/random.hpp"

#include <fmt/format.h>
#include <limits>
#include <optional>

namespace faasd::gateway {

namespace {

const Logger kLog("gateway");

constexpr std::string_view kInternalHeader = "X-Faasd-Internal";
constexpr std::string_view kTimeoutHeader = "X-Faasd-Upstream-Timeout";

// Headers not copied to the replica: hop-by-hop, framing, and those the
// proxy sets itself. Names Beast knows are told apart by their code.
bool skipRequestHeader(http::field code, std::string_view name) {
    switch (code) {
    case http::field::expect:
    case http::field::host:
    case http::field::content_length:
        return true;
    case http::field::unknown:
        return isHopByHopHeader(name) || equalsIgnoreCase(name, "X-Call-Id") ||
               equalsIgnoreCase(name, "X-Start-Time") || equalsIgnoreCase(name, kInternalHeader) ||
               equalsIgnoreCase(name, kTimeoutHeader);
    default:
        return isHopByHopField(code, name);
    }
}

// The caller's header fields the proxy reads (the first of each), found in
// one pass instead of a lookup each.
struct CallerFields {
    std::string_view callId;
    std::optional<std::string_view> internalToken;
    std::optional<std::string_view> timeout;
    std::optional<std::string_view> host;
    bool forwardedHost = false;
    bool forwardedFor = false;
};

CallerFields scanCallerFields(const Fields& fields) {
    CallerFields out;
    auto first = [](std::optional<std::string_view>& slot, std::string_view value) {
        if (!slot) {
            slot = value;
        }
    };
    bool callIdSeen = false;
    for (const auto& field : fields) {
        if (field.name() == http::field::host) {
            first(out.host, sv(field.value()));
            continue;
        }
        if (field.name() != http::field::unknown) {
            continue; // none of the others is one Beast knows
        }
        const std::string_view name = sv(field.name_string());
        if (equalsIgnoreCase(name, "X-Call-Id")) {
            if (!callIdSeen) {
                out.callId = sv(field.value());
                callIdSeen = true;
            }
        } else if (equalsIgnoreCase(name, kInternalHeader)) {
            first(out.internalToken, sv(field.value()));
        } else if (equalsIgnoreCase(name, kTimeoutHeader)) {
            first(out.timeout, sv(field.value()));
        } else if (equalsIgnoreCase(name, "X-Forwarded-Host")) {
            out.forwardedHost = true;
        } else if (equalsIgnoreCase(name, "X-Forwarded-For")) {
            out.forwardedFor = true;
        }
    }
    return out;
}

// The upstream timeout of this call: the configured one, or what an
// internal caller (one that knows the token) asked for.
std::chrono::milliseconds upstreamTimeoutFor(const CallerFields& fields,
                                             const GatewayConfig& config) {
    if (config.internalToken.empty() || !fields.internalToken || !fields.timeout ||
        !constantTimeEquals(*fields.internalToken, config.internalToken)) {
        return config.upstreamTimeout;
    }
    uint64_t seconds = 0;
    for (char c : *fields.timeout) {
        if (c < '0' || c > '9' || seconds > 86'400) {
            return config.upstreamTimeout;
        }
        seconds = seconds * 10 + static_cast<uint64_t>(c - '0');
    }
    return seconds == 0 ? config.upstreamTimeout : std::chrono::seconds(seconds);
}


} // namespace

Proxy::Proxy(Executor executor, const Services& services, net::thread_pool& blocking)
    : services_(services), blocking_(blocking),
      pool_(std::move(executor), services.config->maxIdlePerUpstream,
            services.config->upstreamIdleTimeout) {}

Task<bool> Proxy::answer(Exchange& ex, Call& call, Response response, bool keepAlive) {
    call.status = response.status;
    response.headers.emplace_back("X-Call-Id", call.callId);
    response.headers.emplace_back("X-Start-Time", call.startTime);
    co_return co_await writeResponse(ex, std::move(response), keepAlive);
}

Task<Result<std::vector<provider::Endpoint>>> Proxy::endpointsFor(const InvokeTarget& t) {
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

Task<bool> Proxy::invoke(Exchange& ex, std::string target, std::string rawQuery) {
    const auto& config = *services_.config;
    const auto started = std::chrono::steady_clock::now();
    auto& req = ex.parser.get();
    const bool hasBody = !ex.parser.is_done();
    const bool clientKeepAlive = req.keep_alive();
    const bool isHead = req.method() == http::verb::head;

    const CallerFields caller = scanCallerFields(req);
    Call call{ex.scratch.callId, ex.scratch.startTime};
    call.callId.assign(caller.callId);
    if (call.callId.empty()) {
        appendUuid4(call.callId);
    }
    call.startTime.clear();
    appendUnixNanos(call.startTime, std::chrono::system_clock::now());
    call.upstreamTimeout = upstreamTimeoutFor(caller, config);

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
    UpstreamRequest up{ex.scratch.requestHead};
    std::string& head = up.head;
    head.clear();
    head.append(sv(req.method_string())).append(" ").append(t.path);
    if (!rawQuery.empty()) {
        head.append("?").append(rawQuery);
    }
    head.append(" HTTP/1.1\r\n");
    for (const auto& field : req) {
        const std::string_view name = sv(field.name_string());
        if (!skipRequestHeader(field.name(), name)) {
            appendField(head, name, sv(field.value()));
        }
    }
    head.append("Host: ").append(endpoint.ip).append(":");
    appendNumber(head, endpoint.port);
    head.append("\r\n");
    if (!caller.forwardedHost && caller.host) {
        appendField(head, "X-Forwarded-Host", *caller.host);
    }
    if (!caller.forwardedFor && !ex.remoteAddress.empty()) {
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
    RequestParser<http::buffer_body> body{std::move(ex.parser)};
    body.body_limit(config.maxBodyBytes);

    UpstreamPtr upstream;
    std::optional<ResponseParser<http::buffer_body>> rp;
    bool bodyStarted = false;
    beast::error_code ec;
    for (int attempt = 0;; ++attempt) {
        const bool bodyUnread = !hasBody || !bodyStarted;
        // A pooled connection is taken without a suspension; a new one is
        // made by connect().
        Result<UpstreamPtr> acquired = attempt == 0 ? pool_.takeIdle(endpoint, hasBody) : nullptr;
        if (!*acquired) {
            acquired =
                co_await pool_.connect(endpoint, ex.upstreamDeadline, config.upstreamConnectTimeout);
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
            const auto headBuffer = net::buffer(up.head);
            const size_t done = writeNow(upstream->stream, headBuffer, ec);
            if (!ec && done < headBuffer.size()) {
                co_await writeRest(upstream->stream, ex.upstreamDeadline, call.upstreamTimeout,
                                   headBuffer, done, ec);
            }
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
            rp.emplace(std::piecewise_construct, std::make_tuple(),
                       std::make_tuple(ex.arena.allocator()));
            rp->body_limit(std::numeric_limits<uint64_t>::max()); // none misbehaves in Boost 1.74
            rp->skip(isHead);
            ex.upstreamDeadline.arm(upstream->stream, call.upstreamTimeout);
            while (parseBuffered(upstream->buffer, *rp, ec)) {
                size_t n = co_await upstream->stream.async_read_some(
                    prepareRead(upstream->buffer), ecToken(ec));
                if (!commitRead(upstream->buffer, *rp, n, ec)) {
                    break;
                }
            }
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
