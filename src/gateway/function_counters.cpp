// GET /system/function-counters: this gateway's own invocation counters per
// function, as JSON (docs/API.md). In a cluster the elected scaler reads
// every node's (cluster/cluster_counters.hpp); Prometheus reads /metrics.

#include "gateway/services.hpp"

#include <nlohmann/json.hpp>

namespace faasd::gateway {

namespace {

Response functionCounters(const FunctionMetrics& metrics) {
    auto out = nlohmann::json::object();
    for (const auto& [function, s] : metrics.all()) {
        auto byCode = nlohmann::json::object();
        for (const auto& [code, n] : s.byCode) {
            byCode[std::to_string(code)] = n;
        }
        out[function.qualified()] = {{"started", s.started},
                                     {"completed", s.completed},
                                     {"inFlight", s.inFlight},
                                     {"byCode", std::move(byCode)}};
    }
    return Response::json(200, out.dump());
}

} // namespace

void addFunctionCounterRoutes(Router& router, const Services& s) {
    const FunctionMetrics* metrics = s.metrics;
    router.add(
        {"/system/function-counters", {"GET"}, true, RouteKind::Inline, [metrics](const Request&) {
             return functionCounters(*metrics);
         }});
}

} // namespace faasd::gateway
