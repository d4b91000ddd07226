// GET /system/triggers: each function's triggers (cron schedules, MQTT
// topics) with their next and last runs and counts. Without triggers it
// answers 501.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "gateway/services.hpp"

namespace faasd::gateway {

namespace {

Result<Response> listTriggers(const Services& s, const Request& r) {
    if (s.triggers == nullptr) {
        return fail(Code::Unimplemented, "function triggers are not enabled");
    }
    std::string ns = r.queryValue("namespace");
    if (!ns.empty()) {
        TRY(api::validateName("namespace", ns));
    }
    return Response::json(200, api::toJson(s.triggers->list(ns)));
}

} // namespace

void addTriggerRoutes(Router& router, const Services& s) {
    router.add({"/system/triggers", {"GET"}, true, RouteKind::Blocking, wrap(s, listTriggers)});
}

} // namespace faasd::gateway
