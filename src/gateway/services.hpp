#pragma once

// What route handlers use, and the functions that fill the route table,
// one per endpoint family.

#include "gateway/errors.hpp"
#include "gateway/gateway.hpp"
#include "gateway/router.hpp"

namespace faasd::gateway {

struct Services {
    const GatewayConfig* config = nullptr;
    provider::Provider* provider = nullptr;
    FunctionMetrics* metrics = nullptr;
    ReplicaWaker* waker = nullptr;
    AsyncQueue* queue = nullptr;
    AlertHandler* alerts = nullptr;
    FunctionBuilder* builder = nullptr;
    FunctionTriggers* triggers = nullptr;
    ClusterView* cluster = nullptr;
    MetricsHistory* history = nullptr;
    const std::vector<MetricsSource>* metricsSources = nullptr;
    const std::vector<HealthDetail>* healthDetails = nullptr;

    const std::string& defaultNs() const { return config->defaultNamespace; }
};

using ResultHandler = Result<Response> (*)(const Services&, const Request&);

// A Handler that answers errors through errorResponse().
inline Handler wrap(const Services& services, ResultHandler fn) {
    return [services, fn](const Request& request) {
        auto result = fn(services, request);
        return result ? std::move(*result) : errorResponse(result.error());
    };
}

void addFunctionRoutes(Router& router, const Services& services);  // functions.cpp
void addSecretRoutes(Router& router, const Services& services);    // secrets.cpp
void addNamespaceRoutes(Router& router, const Services& services); // namespaces.cpp
void addInfoRoutes(Router& router, const Services& services);      // info.cpp
void addAlertRoutes(Router& router, const Services& services);     // alerts.cpp
void addUiRoutes(Router& router, const Services& services);     // ui.cpp: /, /ui/, healthz, metrics
void addInvokeRoutes(Router& router, const Services& services); // invoke.cpp
void addLogRoutes(Router& router);                              // logs.cpp
void addAsyncRequestRoutes(Router& router, const Services& services);    // async_requests.cpp
void addBuildRoutes(Router& router, const Services& services);           // build.cpp
void addTriggerRoutes(Router& router, const Services& services);         // triggers.cpp
void addHistoryRoutes(Router& router, const Services& services);         // history_route.cpp
void addClusterRoutes(Router& router, const Services& services);         // cluster.cpp
void addFunctionCounterRoutes(Router& router, const Services& services); // function_counters.cpp

// The full table.
Router buildRouter(const Services& services);

} // namespace faasd::gateway
