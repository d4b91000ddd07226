// /system/functions, /system/function/{name}, /system/scale-function/{name}.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "gateway/errors.hpp"
#include "gateway/services.hpp"

namespace faasd::gateway {

namespace {

// The provider does not count invocations; the gateway does.
void addMetrics(api::FunctionStatus& status, const FunctionMetrics& metrics) {
    if (auto snap = metrics.get({status.name, status.ns})) {
        status.invocationCount = static_cast<double>(snap->completed);
    }
}

Result<Response> listFunctions(const Services& s, const Request& r) {
    TRY_ASSIGN(auto ns, resolveNamespace(r, {}, s.defaultNs()));
    TRY_ASSIGN(auto list, s.provider->list(ns));
    for (auto& status : list) {
        addMetrics(status, *s.metrics);
        s.metrics->setReplicas({status.name, status.ns}, status.availableReplicas);
    }
    return Response::json(200, api::toJson(list));
}

Result<api::FunctionDeployment> decodeDeployment(const Services& s, const Request& r) {
    // The parser already requires "service" and "image".
    TRY_ASSIGN(auto d, decodeBody(r, api::parseFunctionDeployment));
    TRY(api::validateName("function name", d.service));
    TRY_ASSIGN(d.ns, resolveNamespace(r, d.ns, s.defaultNs()));
    return d;
}

Result<Response> deployFunction(const Services& s, const Request& r) {
    TRY_ASSIGN(auto d, decodeDeployment(s, r));
    if (s.triggers) {
        TRY(s.triggers->check(d)); // a wrong trigger deploys nothing
    }
    TRY(s.provider->deploy(d)); // its errors name the operation and function
    if (s.triggers) {
        s.triggers->deployed(d);
    }
    return Response::empty(202);
}

Result<Response> updateFunction(const Services& s, const Request& r) {
    TRY_ASSIGN(auto d, decodeDeployment(s, r));
    if (s.triggers) {
        TRY(s.triggers->check(d));
    }
    TRY(s.provider->update(d));
    if (s.triggers) {
        s.triggers->deployed(d);
    }
    return Response::empty(202);
}

Result<Response> deleteFunction(const Services& s, const Request& r) {
    TRY_ASSIGN(auto d, decodeBody(r, api::parseDeleteRequest));
    TRY(api::validateName("function name", d.functionName));
    TRY_ASSIGN(auto ns, resolveNamespace(r, d.ns, s.defaultNs()));
    TRY(s.provider->remove(d.functionName, ns));
    if (s.triggers) {
        s.triggers->removed(d.functionName, ns);
    }
    s.metrics->remove({d.functionName, ns});
    return Response::empty(202);
}

Result<Response> getFunction(const Services& s, const Request& r) {
    const std::string& name = r.params.at("name");
    TRY(api::validateName("function name", name));
    TRY_ASSIGN(auto ns, resolveNamespace(r, {}, s.defaultNs()));
    TRY_ASSIGN(auto status, s.provider->get(name, ns));
    addMetrics(status, *s.metrics);
    return Response::json(200, api::toJson(status));
}

Result<Response> scaleFunction(const Services& s, const Request& r) {
    const std::string& name = r.params.at("name");
    TRY_ASSIGN(auto req, decodeBody(r, api::parseScaleRequest));
    if (!req.serviceName.empty() && req.serviceName != name) {
        return fail(Code::InvalidArgument, "serviceName {} does not match the path's {}",
                    req.serviceName, name);
    }
    TRY(api::validateName("function name", name));
    TRY_ASSIGN(auto ns, resolveNamespace(r, req.ns, s.defaultNs()));
    TRY(s.provider->scale(name, ns, req.replicas));
    return Response::empty(202);
}

} // namespace

void addFunctionRoutes(Router& router, const Services& s) {
    router.add({"/system/functions", {"GET"}, true, RouteKind::Blocking, wrap(s, listFunctions)});
    router.add({"/system/functions", {"POST"}, true, RouteKind::Blocking, wrap(s, deployFunction)});
    router.add({"/system/functions", {"PUT"}, true, RouteKind::Blocking, wrap(s, updateFunction)});
    router.add(
        {"/system/functions", {"DELETE"}, true, RouteKind::Blocking, wrap(s, deleteFunction)});
    router.add(
        {"/system/function/{name}", {"GET"}, true, RouteKind::Blocking, wrap(s, getFunction)});
    router.add({"/system/scale-function/{name}",
                {"POST"},
                true,
                RouteKind::Blocking,
                wrap(s, scaleFunction)});
}

} // namespace faasd::gateway
