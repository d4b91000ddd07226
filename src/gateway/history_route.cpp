// GET /system/metrics/history: the metrics history as JSON arrays ready to
// plot, for one function (?function=&namespace=) or for the VM with a
// summary of every function (of ?namespace= when given). ?range= is 15m,
// 1h or 24h; ?since= (unix seconds) answers only the points from then on.

#include "api/validate.hpp"
#include "gateway/services.hpp"

#include <charconv>

namespace faasd::gateway {

namespace {

Result<std::optional<int64_t>> sinceOf(const Request& r) {
    if (!r.hasQuery("since")) {
        return std::optional<int64_t>{};
    }
    const std::string text = r.queryValue("since");
    int64_t v = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc{} || end != text.data() + text.size() || v < 0) {
        return fail(Code::InvalidArgument, "since: '{}' is not a time in unix seconds", text);
    }
    return std::optional<int64_t>{v};
}

Result<Response> getHistory(const Services& s, const Request& r) {
    if (s.history == nullptr) {
        return fail(Code::Unimplemented,
                    "the metrics history is off on this gateway (FAASD_METRICS_HISTORY)");
    }
    auto range = MetricsHistory::parseRange(r.queryValue("range"));
    if (!range) {
        return fail(Code::InvalidArgument, "range: '{}' is not one of 15m, 1h, 24h",
                    r.queryValue("range"));
    }
    TRY_ASSIGN(auto since, sinceOf(r));
    const std::string name = r.queryValue("function");
    std::string ns = r.queryValue("namespace");
    if (!ns.empty()) {
        TRY(api::validateName("namespace", ns));
    }
    if (name.empty()) {
        return Response::json(200, s.history->overviewJson(ns, *range, since));
    }
    TRY(api::validateName("function", name));
    if (ns.empty()) {
        ns = s.defaultNs();
    }
    auto body = s.history->functionJson({name, ns}, *range, since);
    if (!body) {
        return fail(Code::NotFound,
                    "no history for {}.{}: it is not deployed, or was deployed "
                    "less than a second ago",
                    name, ns);
    }
    return Response::json(200, std::move(*body));
}

} // namespace

void addHistoryRoutes(Router& router, const Services& s) {
    router.add(
        {"/system/metrics/history", {"GET"}, true, RouteKind::Blocking, wrap(s, getHistory)});
}

} // namespace faasd::gateway
