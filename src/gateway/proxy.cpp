#include "gateway/proxy.hpp"

#include "common/http_headers.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "gateway/logger.hpp"

#include <fmt/format.h>
#include <limits>
#include <optional>

namespace faasd::gateway {

using namespace std::string_view_literals;

namespace {

constexpr std::string_view kInternalHeader = "X-Faasd-Internal";
constexpr std::string_view kTimeoutHeader = "X-Faasd-Upstream-Timeout";
constexpr std::string_view kTooLarge = "request body too large\n";

// Headers not copied to the replica: hop-by-hop, framing, and those the
// proxy sets itself (none of which Beast knows by a code).
bool skipRequestHeader(http::field code, std::string_view name) {
    switch (code) {
    case http::field::expect:
    case http::field::host:
    case http::field::content_length:
        return true;
    case http::field::unknown:
        return isHopByHop(name) || isCallHeader(name) || iequals(name, kInternalHeader) ||
               iequals(name, kTimeoutHeader);
    default:
        return isHopByHop(name);
    }
}

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
        if (iequals(name, kCallIdHeader)) {
            if (!callIdSeen) {
                out.callId = sv(field.value());
                callIdSeen = true;
            }
        } else if (iequals(name, kInternalHeader)) {
            first(out.internalToken, sv(field.value()));
        } else if (iequals(name, kTimeoutHeader)) {
            first(out.timeout, sv(field.value()));
        } else if (iequals(name, "X-Forwarded-Host")) {
            out.forwardedHost = true;
        } else if (iequals(name, "X-Forwarded-For")) {
            out.forwardedFor = true;
        }
    }
    return out;
}

// 502, or 504 when connecting timed out.
Response unreachable(api::FunctionRefView function, const Error& error) {
    return Response::text(error.code() == Code::Timeout ? 504 : 502,
                          fmt::format("can't reach service {}: {}\n", function, error.message()));
}

// The timeout an internal caller (one that knows the token) asked for: the
// queue's workers, which have applied the function's own already.
std::chrono::milliseconds internalUpstreamTimeout(const CallerFields& fields,
                                                  const GatewayConfig& config) {
    if (config.internalToken.empty() || !fields.internalToken || !fields.timeout ||
        fields.timeout->empty() || fields.timeout->size() > 5 ||
        !constantTimeEquals(*fields.internalToken, config.internalToken)) {
        return std::chrono::milliseconds(0);
    }
    uint64_t seconds = 0;
    for (char c : *fields.timeout) {
        if (c < '0' || c > '9') {
            return std::chrono::milliseconds(0);
        }
        seconds = seconds * 10 + static_cast<uint64_t>(c - '0');
    }
    return std::chrono::seconds(std::min<uint64_t>(seconds, 86'400));
}

} // namespace

std::chrono::milliseconds upstreamTimeoutFor(const ProxyCall& call, const GatewayConfig& config) {
    auto internal = internalUpstreamTimeout(call.caller, config);
    return internal.count() > 0 ? internal : call.endpoint.timeout.over(config.upstreamTimeout);
}

bool isCallHeader(std::string_view name) {
    return iequals(name, kCallIdHeader) || iequals(name, kStartTimeHeader);
}

void appendCallFields(std::string& head, const ProxyCall& call) {
    appendField(head, kCallIdHeader, call.callId);
    appendField(head, kStartTimeHeader, call.startTime);
}

Proxy::Proxy(Executor executor, const Services& services, net::thread_pool& blocking)
    : services_(services), blocking_(blocking),
      pool_(std::move(executor), services.config->maxIdlePerUpstream,
            services.config->upstreamIdleTimeout) {}

Task<bool> Proxy::answerFailure(Exchange& ex, ProxyCall& call, bool keepAlive) {
    Response response = std::move(call.failure);
    call.status = response.status;
    response.headers.emplace_back(kCallIdHeader, call.callId);
    response.headers.emplace_back(kStartTimeHeader, call.startTime);
    co_return co_await writeResponse(ex, std::move(response), keepAlive);
}

Proxy::Step Proxy::failWith(ProxyCall& call, Response response) {
    call.failure = std::move(response);
    return Step::Fail;
}

Proxy::Step Proxy::start(Exchange& ex, ProxyCall& call, std::string_view target,
                         std::string_view rawQuery) {
    const auto& config = *services_.config;
    const auto& req = ex.parser.get();
    call.started = std::chrono::steady_clock::now();
    call.hasBody = !ex.parser.is_done();
    call.clientKeepAlive = req.keep_alive();
    call.isHead = req.method() == http::verb::head;
    call.status = 502;
    call.query.assign(rawQuery);
    call.caller = scanCallerFields(req);
    call.callId.assign(call.caller.callId);
    if (call.callId.empty()) {
        appendUuid4(call.callId);
    }
    call.startTime.clear();
    appendUnixNanos(call.startTime, std::chrono::system_clock::now());

    if (!parseInvokeTarget(target, config.defaultNamespace, call.target)) {
        failWith(call, errorResponse(invalidTarget(target)));
        return Step::Unknown;
    }
    // resolve() answers from memory; only a function at zero replicas
    // takes the (suspending) wake path.
    const api::FunctionRef& function = call.target.function;
    auto endpoints = services_.provider->resolve(function.name, function.ns);
    if (endpoints && endpoints->empty()) {
        return Step::Wake;
    }
    return pick(call, std::move(endpoints));
}

Proxy::Step Proxy::pick(ProxyCall& call, Result<std::vector<provider::Endpoint>> endpoints) {
    if (!endpoints) {
        failWith(call, errorResponse(endpoints.error()));
        // Unknown functions get no metric series: names come from callers.
        if (endpoints.error().code() == Code::NotFound) {
            return Step::Unknown;
        }
        services_.metrics->started(call.target.function);
        return Step::Fail;
    }
    services_.metrics->started(call.target.function, endpoints->size());
    // Round robin; a single replica needs no counter.
    const size_t n = endpoints->size();
    call.endpoint = (*endpoints)[n == 1 ? 0 : next_[call.target.function]++ % n];
    call.upstreamTimeout = upstreamTimeoutFor(call, *services_.config);
    return Step::Go;
}

Task<Result<std::vector<provider::Endpoint>>>
Proxy::endpointsFor(const api::FunctionRef& function) {
    if (services_.waker == nullptr) {
        co_return fail(Code::Unavailable, "no replicas available for {}", function);
    }
    auto deadline = std::chrono::steady_clock::now() + services_.config->wakeTimeout;
    ReplicaWaker* waker = services_.waker;
    Result<void> woke = co_await runBlocking(
        blocking_, [&] { return waker->wake(function.name, function.ns, deadline); });
    if (!woke) {
        co_return fail(woke.error().context("waking " + function.qualified()));
    }
    auto endpoints = services_.provider->resolve(function.name, function.ns);
    if (endpoints && endpoints->empty()) {
        co_return fail(Code::Unavailable, "no replicas available for {}", function);
    }
    co_return endpoints;
}

void Proxy::buildRequestHead(const Exchange& ex, ProxyCall& call) {
    // Written out directly (the parsed header was validated by the parser):
    // path and query forwarded, hop-by-hop dropped, our headers added.
    const auto& req = ex.parser.get();
    std::string& head = call.requestHead;
    head.clear();
    head.append(sv(req.method_string())).append(" "sv).append(call.target.path);
    if (!call.query.empty()) {
        head.append("?"sv).append(call.query);
    }
    head.append(" HTTP/1.1\r\n"sv);
    for (const auto& field : req) {
        const std::string_view name = sv(field.name_string());
        if (!skipRequestHeader(field.name(), name)) {
            appendField(head, name, sv(field.value()));
        }
    }
    head.append("Host: "sv).append(call.endpoint.ip).append(":"sv);
    appendNumber(head, call.endpoint.port);
    head.append("\r\n"sv);
    if (!call.caller.forwardedHost && call.caller.host) {
        appendField(head, "X-Forwarded-Host", *call.caller.host);
    }
    if (!call.caller.forwardedFor && !ex.remoteAddress.empty()) {
        appendField(head, "X-Forwarded-For", ex.remoteAddress);
    }
    appendCallFields(head, call);
    call.chunked = false;
    if (call.hasBody) {
        if (auto length = ex.parser.content_length()) {
            head.append("Content-Length: "sv);
            appendNumber(head, *length);
            head.append("\r\n"sv);
        } else {
            head += "Transfer-Encoding: chunked\r\n"sv;
            call.chunked = true;
        }
    }
    head += "\r\n"sv;
}

Task<bool> Proxy::invoke(Exchange& ex, ProxyCall& call, std::string_view target,
                         std::string_view rawQuery) {
    // The synchronous steps are functions of their own and what the call
    // keeps is in `call`: every local here is in this coroutine's frame.
    const auto& config = *services_.config;
    Step step = start(ex, call, target, rawQuery);
    if (step == Step::Wake) {
        step = pick(call, co_await endpointsFor(call.target.function));
    }
    if (step == Step::Unknown) {
        co_return co_await answerFailure(ex, call, call.clientKeepAlive && !call.hasBody);
    }
    // pick() counted the call as started.
    struct Record {
        FunctionMetrics& metrics;
        const ProxyCall& call;
        ~Record() {
            metrics.finished(call.target.function, call.status,
                             std::chrono::steady_clock::now() - call.started);
        }
    } record{*services_.metrics, call};
    if (step == Step::Fail) {
        co_return co_await answerFailure(ex, call, call.clientKeepAlive && !call.hasBody);
    }
    if (auto length = ex.parser.content_length(); length && *length > config.maxBodyBytes) {
        failWith(call, Response::text(413, std::string(kTooLarge)));
        co_return co_await answerFailure(ex, call, false);
    }
    if (call.hasBody && !co_await sendContinueIfExpected(ex)) {
        co_return false;
    }
    buildRequestHead(ex, call);

    // From here the caller's body is read by a streaming parser.
    call.body.emplace(std::move(ex.parser));
    call.body->body_limit(config.maxBodyBytes);

    UpstreamPtr upstream;
    bool bodyStarted = false;
    beast::error_code ec;
    for (int attempt = 0;; ++attempt) {
        // A pooled connection is taken without a suspension; a new one is
        // made by connect().
        if (attempt == 0) {
            upstream = pool_.takeIdle(call.endpoint, call.hasBody);
        }
        if (!upstream) {
            auto made = co_await pool_.connect(call.endpoint, ex.upstreamDeadline,
                                               config.upstreamConnectTimeout);
            if (!made) {
                failWith(call, unreachable(call.target.function, made.error()));
                co_return co_await answerFailure(ex, call, call.clientKeepAlive && !bodyStarted);
            }
            upstream = std::move(*made);
        }
        SendResult sent = SendResult::Ok;
        if (call.hasBody) {
            sent = co_await sendRequest(ex, call, *upstream, bodyStarted);
        } else {
            // No body: the head alone, in one write.
            const size_t done = writeNow(upstream->stream, net::buffer(call.requestHead), ec);
            if (!ec && done < call.requestHead.size()) {
                co_await writeRest(upstream->stream, ex.upstreamDeadline, call.upstreamTimeout,
                                   net::buffer(call.requestHead), done, ec);
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
            failWith(call, Response::text(413, std::string(kTooLarge)));
            co_return co_await answerFailure(ex, call, false);
        }
        if (sent == SendResult::Ok) {
            auto& rp = call.response.emplace(std::piecewise_construct, std::make_tuple(),
                                             std::make_tuple(ex.arena.allocator()));
            rp.body_limit(std::numeric_limits<uint64_t>::max()); // none misbehaves in Boost 1.74
            rp.skip(call.isHead);
            ex.upstreamDeadline.arm(upstream->stream, call.upstreamTimeout);
            while (parseBuffered(upstream->buffer, rp, ec)) {
                size_t n = co_await upstream->stream.async_read_some(prepareRead(upstream->buffer),
                                                                     ecToken(ec));
                if (!commitRead(upstream->buffer, rp, n, ec)) {
                    break;
                }
            }
            ex.upstreamDeadline.disarm();
            if (!ec) {
                break;
            }
            kLog.debug("reading the response header of {}: {}", call.target.function, ec.message());
            if (ec == net::error::operation_aborted && ex.upstreamDeadline.expired) {
                failWith(call, Response::text(504, fmt::format("{} did not answer in time\n",
                                                               call.target.function)));
                co_return co_await answerFailure(ex, call,
                                                 call.clientKeepAlive && call.body->is_done());
            }
        }
        // A pooled connection the replica had closed: retry once on a new
        // one while the caller's body is still unread.
        if (upstream->reused && !bodyStarted && attempt == 0) {
            upstream.reset();
            continue;
        }
        failWith(call, Response::text(
                           502, fmt::format("can't reach service {}\n", call.target.function)));
        co_return co_await answerFailure(
            ex, call, call.clientKeepAlive && (!call.hasBody || call.body->is_done()));
    }

    const bool keepAlive = call.clientKeepAlive && (!call.hasBody || call.body->is_done());
    co_return co_await relayResponse(ex, call, std::move(upstream), keepAlive);
}

} // namespace faasd::gateway
