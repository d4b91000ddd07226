// /system/alert: Alertmanager's webhook, handed to the AlertHandler.

#include "gateway/alerts.hpp"

#include "gateway/services.hpp"

#include <nlohmann/json.hpp>

namespace faasd::gateway {

namespace {

std::string stringField(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

Result<Response> receiveAlert(const Services& s, const Request& r) {
    if (s.alerts == nullptr) {
        return Response::empty(202); // no scaler: accepted and ignored
    }
    TRY_ASSIGN(auto notification, decodeBody(r, parseAlertNotification));
    TRY(withContext(s.alerts->handle(notification), "handling alert"));
    return Response::empty(202);
}

} // namespace

Result<AlertNotification> parseAlertNotification(std::string_view body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return fail(Code::InvalidArgument, "alert: the body must be a JSON object");
    }
    AlertNotification n;
    n.status = stringField(j, "status");
    n.receiver = stringField(j, "receiver");
    auto alerts = j.find("alerts");
    if (alerts == j.end() || !alerts->is_array()) {
        return fail(Code::InvalidArgument, "alert: \"alerts\" must be an array");
    }
    for (const auto& item : *alerts) {
        if (!item.is_object()) {
            return fail(Code::InvalidArgument, "alert: entries of \"alerts\" must be objects");
        }
        Alert a;
        a.status = stringField(item, "status");
        auto labels = item.find("labels");
        if (labels != item.end() && labels->is_object()) {
            for (const auto& [key, value] : labels->items()) {
                if (value.is_string()) {
                    a.labels[key] = value.get<std::string>();
                }
            }
        }
        a.alertName = a.labels["alertname"];
        a.functionName = a.labels["function_name"];
        n.alerts.push_back(std::move(a));
    }
    return n;
}

void addAlertRoutes(Router& router, const Services& s) {
    router.add({"/system/alert", {"POST"}, true, RouteKind::Blocking, wrap(s, receiveAlert)});
}

} // namespace faasd::gateway
