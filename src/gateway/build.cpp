// POST /build: the function builder API, passed to the FunctionBuilder the
// daemon set. Its own signature check replaces basic auth; it runs on the
// blocking pool, where a build may take minutes (no deadline applies while
// a Blocking handler runs; the answer's write has the client timeout).

#include "gateway/services.hpp"

#include <nlohmann/json.hpp>

namespace faasd::gateway {

namespace {

Response notEnabled() {
    nlohmann::json body = {{"log", {"the function builder is not enabled on this gateway"}},
                           {"image", ""},
                           {"status", "failed"}};
    return Response::json(404, body.dump());
}

} // namespace

void addBuildRoutes(Router& router, const Services& s) {
    FunctionBuilder* builder = s.builder;
    // faas-cli posts to --remote-builder as given in older releases, and
    // to <it>/build in newer ones: http://HOST:8080/build works for both.
    for (const char* path : {"/build", "/build/build"}) {
        router.add({path, {"POST"}, false, RouteKind::Blocking, [builder](const Request& r) {
                        if (builder == nullptr) {
                            return notEnabled();
                        }
                        BuildAnswer answer = builder->build({r.body, r.header("X-Build-Signature"),
                                                             r.header("Accept").value_or("")});
                        Response response;
                        response.status = answer.status;
                        response.contentType = std::move(answer.contentType);
                        response.body = std::move(answer.body);
                        return response;
                    }});
    }
}

} // namespace faasd::gateway
