// /system/async-requests: list, retry and delete stored asynchronous
// requests (the dead-letter list among them), and /metrics/async, the
// queue's Prometheus series. Without a queue they answer 501.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "gateway/services.hpp"

#include <nlohmann/json.hpp>

namespace faasd::gateway {

namespace {

constexpr size_t kMaxLimit = 10'000;

Result<AsyncQueue*> queueOf(const Services& s) {
    if (s.queue == nullptr) {
        return fail(Code::Unimplemented, "asynchronous invocation is not configured");
    }
    return s.queue;
}

Result<AsyncListFilter> parseFilter(const Request& r) {
    AsyncListFilter f;
    f.status = r.queryValue("status");
    if (!f.status.empty() && f.status != "pending" && f.status != "running" &&
        f.status != "retrying" && f.status != "failed" && f.status != "completed") {
        return fail(Code::InvalidArgument,
                    "status \"{}\": want pending, running, retrying, failed or completed",
                    f.status);
    }
    f.ns = r.queryValue("namespace");
    if (!f.ns.empty()) {
        TRY(api::validateName("namespace", f.ns));
    }
    if (auto limit = r.queryValue("limit"); !limit.empty()) {
        if (limit.size() > 6 || limit.find_first_not_of("0123456789") != std::string::npos ||
            std::stoul(limit) == 0) {
            return fail(Code::InvalidArgument, "limit \"{}\": want 1 to {}", limit, kMaxLimit);
        }
        f.limit = std::min<size_t>(std::stoul(limit), kMaxLimit);
    }
    return f;
}

Result<Response> listRequests(const Services& s, const Request& r) {
    TRY_ASSIGN(auto* queue, queueOf(s));
    TRY_ASSIGN(auto filter, parseFilter(r));
    TRY_ASSIGN(auto requests, queue->list(filter));
    auto out = nlohmann::json::array();
    for (const auto& q : requests) {
        out.push_back({
            {"callId", q.callId},
            {"function", q.function},
            {"namespace", q.ns},
            {"method", q.method},
            {"path", q.path},
            {"status", q.status},
            {"attempts", q.attempts},
            {"enqueuedAt", api::formatRfc3339(q.enqueuedAt)},
            {"lastError", q.lastError},
            {"callbackUrl", q.callbackUrl},
            {"callbackStatus", q.callbackStatus},
        });
    }
    return Response::json(200, out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Result<Response> retryRequest(const Services& s, const Request& r) {
    TRY_ASSIGN(auto* queue, queueOf(s));
    const auto& id = r.params.at("callId");
    TRY(withContext(queue->retry(id), "retrying " + id));
    return Response::empty(202);
}

Result<Response> deleteRequest(const Services& s, const Request& r) {
    TRY_ASSIGN(auto* queue, queueOf(s));
    const auto& id = r.params.at("callId");
    TRY(withContext(queue->remove(id), "deleting " + id));
    return Response::empty(200);
}

} // namespace

void addAsyncRequestRoutes(Router& router, const Services& s) {
    router.add(
        {"/system/async-requests", {"GET"}, true, RouteKind::Blocking, wrap(s, listRequests)});
    router.add({"/system/async-requests/{callId}/retry",
                {"POST"},
                true,
                RouteKind::Blocking,
                wrap(s, retryRequest)});
    router.add({"/system/async-requests/{callId}",
                {"DELETE"},
                true,
                RouteKind::Blocking,
                wrap(s, deleteRequest)});
    AsyncQueue* queue = s.queue;
    router.add({"/metrics/async", {"GET"}, false, RouteKind::Inline, [queue](const Request&) {
                    if (queue == nullptr) {
                        return Response::text(501, "asynchronous invocation is not configured\n");
                    }
                    Response r = Response::text(200, queue->prometheusText());
                    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                    return r;
                }});
}

} // namespace faasd::gateway
