// /, /ui/, /healthz and /metrics: cheap routes served on the I/O thread.

#include "gateway/services.hpp"

namespace faasd::gateway {

namespace {

constexpr const char* kUiPage = R"(<!doctype html>
<html><head><meta charset="utf-8"><title>faasd</title></head>
<body><h1>faasd</h1>
<p>An OpenFaaS-compatible gateway. Use <code>faas-cli</code> or the REST API under
<code>/system/</code>; functions answer at <code>/function/&lt;name&gt;</code>.</p>
</body></html>
)";

Response redirectToUi() {
    Response r = Response::text(301, "Moved Permanently\n");
    r.headers.emplace_back("Location", "/ui/");
    return r;
}

} // namespace

void addUiRoutes(Router& router, const Services& s) {
    const FunctionMetrics* metrics = s.metrics;
    router.add({"/healthz", {"GET", "HEAD"}, false, RouteKind::Inline, [](const Request&) {
                    return Response::text(200, "OK");
                }});
    router.add({"/metrics", {"GET"}, false, RouteKind::Inline, [metrics](const Request&) {
                    Response r = Response::text(200, metrics->prometheusText());
                    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                    return r;
                }});
    router.add({"/", {"GET", "HEAD"}, false, RouteKind::Inline, [](const Request&) {
                    return redirectToUi();
                }});
    router.add({"/ui", {"GET", "HEAD"}, true, RouteKind::Inline, [](const Request&) {
                    return redirectToUi();
                }});
    router.add({"/ui/{*rest}", {"GET", "HEAD"}, true, RouteKind::Inline, [](const Request&) {
                    Response r = Response::text(200, kUiPage);
                    r.contentType = "text/html; charset=utf-8";
                    return r;
                }});
}

Router buildRouter(const Services& services) {
    Router router;
    addInvokeRoutes(router, services);
    addFunctionRoutes(router, services);
    addSecretRoutes(router, services);
    addNamespaceRoutes(router, services);
    addInfoRoutes(router, services);
    addAlertRoutes(router, services);
    addLogRoutes(router);
    addAsyncRequestRoutes(router, services);
    addUiRoutes(router, services);
    return router;
}

} // namespace faasd::gateway
