// /, /ui/, /healthz and /metrics: cheap routes served on the I/O thread.
// The web UI's files are embedded at build time (ui/embed.py) and served
// from memory with a strong ETag; browsers revalidate them (no-cache) and
// get 304 while the binary is unchanged.

#include "gateway/services.hpp"
#include "ui_assets.hpp"

namespace faasd::gateway {

namespace {

Response redirectToUi() {
    Response r = Response::text(301, "Moved Permanently\n");
    r.headers.emplace_back("Location", "/ui/");
    return r;
}

const UiAsset* findAsset(std::string_view path) {
    if (path.empty()) {
        path = "index.html";
    }
    for (const UiAsset& asset : uiAssets()) {
        if (asset.path == path) {
            return &asset;
        }
    }
    return nullptr;
}

// Does an If-None-Match header name this ETag (or "*")? Weak validators
// match too, as RFC 9110 asks for GET.
bool etagMatches(std::string_view header, std::string_view etag) {
    while (!header.empty()) {
        size_t comma = header.find(',');
        std::string_view item = header.substr(0, comma);
        header = comma == std::string_view::npos ? std::string_view{} : header.substr(comma + 1);
        while (!item.empty() && item.front() == ' ') {
            item.remove_prefix(1);
        }
        while (!item.empty() && item.back() == ' ') {
            item.remove_suffix(1);
        }
        if (item.starts_with("W/")) {
            item.remove_prefix(2);
        }
        if (item == "*" || item == etag) {
            return true;
        }
    }
    return false;
}

Response serveAsset(const Request& request) {
    auto rest = request.params.find("rest");
    const UiAsset* asset = findAsset(rest == request.params.end() ? "" : rest->second);
    if (asset == nullptr) {
        return Response::text(404, "404 page not found\n");
    }
    Response r;
    auto ifNoneMatch = request.header("If-None-Match");
    if (ifNoneMatch && etagMatches(*ifNoneMatch, asset->etag)) {
        r = Response::empty(304);
    } else {
        r.status = 200;
        r.contentType = std::string(asset->contentType);
        if (request.method != "HEAD") {
            r.body = std::string(asset->body);
        }
    }
    r.headers.emplace_back("ETag", std::string(asset->etag));
    r.headers.emplace_back("Cache-Control", "no-cache");
    r.headers.emplace_back("X-Content-Type-Options", "nosniff");
    r.headers.emplace_back("Content-Security-Policy",
                           "default-src 'self'; img-src 'self' data:; object-src 'none'; "
                           "base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
    r.headers.emplace_back("Referrer-Policy", "no-referrer");
    return r;
}

} // namespace

void addUiRoutes(Router& router, const Services& s) {
    const FunctionMetrics* metrics = s.metrics;
    const std::vector<MetricsSource>* sources = s.metricsSources;
    const std::vector<HealthDetail>* details = s.healthDetails;
    router.add({"/healthz", {"GET", "HEAD"}, false, RouteKind::Inline, [details](const Request&) {
                    std::string text = "OK";
                    for (size_t i = 0; details != nullptr && i < details->size(); ++i) {
                        if (auto line = (*details)[i](); !line.empty()) {
                            text += "\n" + line;
                        }
                    }
                    return Response::text(200, text == "OK" ? text : text + "\n");
                }});
    router.add({"/metrics", {"GET"}, false, RouteKind::Inline, [metrics, sources](const Request&) {
                    std::string text = metrics->prometheusText();
                    if (sources != nullptr) {
                        for (const auto& source : *sources) {
                            text += source();
                        }
                    }
                    Response r = Response::text(200, std::move(text));
                    r.contentType = "text/plain; version=0.0.4; charset=utf-8";
                    return r;
                }});
    router.add({"/", {"GET", "HEAD"}, false, RouteKind::Inline, [](const Request&) {
                    return redirectToUi();
                }});
    router.add({"/ui", {"GET", "HEAD"}, true, RouteKind::Inline, [](const Request&) {
                    return redirectToUi();
                }});
    router.add({"/ui/{*rest}", {"GET", "HEAD"}, true, RouteKind::Inline, serveAsset});
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
    addBuildRoutes(router, services);
    addTriggerRoutes(router, services);
    addHistoryRoutes(router, services);
    addClusterRoutes(router, services);
    addFunctionCounterRoutes(router, services);
    addUiRoutes(router, services);
    return router;
}

} // namespace faasd::gateway
