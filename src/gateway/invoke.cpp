// /function/ routes and /async-function/: target parsing and the queue hand-off.

#include "gateway/invoke.hpp"

#include "api/validate.hpp"
#include "common/http_headers.hpp"
#include "common/random.hpp"
#include "common/strings.hpp"
#include "gateway/services.hpp"

namespace faasd::gateway {

bool parseInvokeTarget(std::string_view target, const std::string& defaultNs, InvokeTarget& out) {
    const size_t slash = target.find('/');
    const std::string_view function = target.substr(0, slash);
    const auto ref = api::FunctionRef::parseView(function, defaultNs);
    if (!api::isValidName(ref.name) || !api::isValidName(ref.ns)) {
        return false;
    }
    out.function.assign(ref);
    if (slash == std::string_view::npos) {
        out.path.assign("/");
    } else {
        out.path.assign(target.substr(slash));
    }
    return true;
}

Error invalidTarget(std::string_view target) {
    return Error(Code::NotFound,
                 fmt::format("Cannot find service: {}.", target.substr(0, target.find('/'))));
}

Result<InvokeTarget> parseInvokeTarget(std::string_view target, const std::string& defaultNs) {
    InvokeTarget t;
    if (!parseInvokeTarget(target, defaultNs, t)) {
        return fail(invalidTarget(target));
    }
    return t;
}

void appendUnixNanos(std::string& out, std::chrono::system_clock::time_point tp) {
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch());
    appendNumber(out, static_cast<uint64_t>(std::max<int64_t>(0, ns.count())));
}

std::string unixNanos(std::chrono::system_clock::time_point tp) {
    std::string out;
    appendUnixNanos(out, tp);
    return out;
}

bool isCallbackUrl(std::string_view text) {
    std::string_view rest;
    if (text.substr(0, 7) == "http://") {
        rest = text.substr(7);
    } else if (text.substr(0, 8) == "https://") {
        rest = text.substr(8);
    } else {
        return false;
    }
    std::string_view host = rest.substr(0, rest.find_first_of("/?#"));
    if (host.empty() || host.front() == ':') {
        return false;
    }
    for (char c : host) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '"' || c == '<' || c == '>') {
            return false;
        }
    }
    return true;
}

namespace {

Result<Response> enqueueAsync(const Services& s, const Request& r) {
    TRY_ASSIGN(auto target, parseInvokeTarget(r.params.at("target"), s.defaultNs()));
    if (s.queue == nullptr) {
        return fail(Code::Unimplemented, "asynchronous invocation is not configured");
    }
    AsyncRequest a;
    a.callId = r.header(kCallIdHeader).value_or("");
    if (a.callId.empty()) {
        a.callId = uuid4();
    }
    a.callbackUrl = r.header("X-Callback-Url").value_or("");
    if (!a.callbackUrl.empty() && !isCallbackUrl(a.callbackUrl)) {
        return fail(Code::InvalidArgument, "X-Callback-Url is not a valid URL: {}", a.callbackUrl);
    }
    if (!a.callbackUrl.empty()) {
        TRY(withContext(s.config->callbackPolicy.check(a.callbackUrl), "X-Callback-Url"));
    }
    // Only a function that exists now is queued (the provider answers from memory).
    const api::FunctionRef& function = target.function;
    if (auto found = s.provider->get(function.name, function.ns); !found) {
        if (found.error().code() == Code::NotFound) {
            return fail(Code::NotFound, "Cannot find service: {}.", function);
        }
        return fail(found.error().context("queueing " + function.qualified()));
    }
    if (r.body.size() > s.queue->maxBodyBytes()) {
        return Response::text(413,
                              fmt::format("request body too large for the queue: {} > {} bytes\n",
                                          r.body.size(), s.queue->maxBodyBytes()));
    }
    a.name = function.name;
    a.ns = function.ns;
    a.method = r.method;
    a.path = target.path;
    a.query = r.rawQuery;
    a.body = r.body;
    const std::string start = unixNanos(std::chrono::system_clock::now());
    bool hasStart = false;
    for (const auto& [key, value] : r.headers) {
        if (!isHopByHop(key) && !iequals(key, "Expect")) {
            hasStart = hasStart || iequals(key, kStartTimeHeader);
            a.headers.emplace_back(key, value);
        }
    }
    if (!hasStart) {
        a.headers.emplace_back(kStartTimeHeader, start);
    }
    TRY_ASSIGN(auto callId,
               withContext(s.queue->enqueue(std::move(a)), "queueing " + function.qualified()));
    Response response = Response::empty(202);
    response.headers.emplace_back(kCallIdHeader, callId);
    response.headers.emplace_back(kStartTimeHeader, start);
    return response;
}

} // namespace

void addInvokeRoutes(Router& router, const Services& s) {
    router.add({"/function/{*target}", {}, false, RouteKind::Invoke, {}});
    // Methods that carry a body; GET and HEAD are 405.
    router.add({"/async-function/{*target}",
                {"POST", "PUT", "PATCH", "DELETE"},
                false,
                RouteKind::Blocking,
                wrap(s, enqueueAsync)});
}

} // namespace faasd::gateway
