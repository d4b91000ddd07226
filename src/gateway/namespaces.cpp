// /system/namespaces and /system/namespace/{ns}.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "gateway/services.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace faasd::gateway {

namespace {

Result<Response> listNamespaces(const Services& s, const Request&) {
    TRY_ASSIGN(auto names, s.provider->listNamespaces());
    // The default namespace first, whatever order the provider used.
    auto it = std::find(names.begin(), names.end(), s.defaultNs());
    if (it != names.end()) {
        std::rotate(names.begin(), it, it + 1);
    }
    return Response::json(200, nlohmann::json(names).dump());
}

Result<std::string> pathNamespace(const Request& r) {
    const std::string& name = r.params.at("ns");
    TRY(api::validateName("namespace", name));
    return name;
}

Result<Response> getNamespace(const Services& s, const Request& r) {
    TRY_ASSIGN(auto name, pathNamespace(r));
    TRY_ASSIGN(auto ns, s.provider->getNamespace(name));
    return Response::json(200, api::toJson(ns));
}

// POST and PUT: the body's name, when given, must match the path.
Result<api::NamespaceRequest> decodeNamespace(const Request& r) {
    TRY_ASSIGN(auto name, pathNamespace(r));
    api::NamespaceRequest req;
    if (!r.body.empty()) {
        TRY_ASSIGN(req, api::parseNamespaceRequest(r.body));
    }
    if (!req.name.empty() && req.name != name) {
        return fail(Code::InvalidArgument, "namespace {} in the body does not match the path's {}",
                    req.name, name);
    }
    req.name = name;
    return req;
}

Result<Response> createNamespace(const Services& s, const Request& r) {
    TRY_ASSIGN(auto req, decodeNamespace(r));
    TRY(withContext(s.provider->createNamespace(req), "creating namespace " + req.name));
    return Response::empty(201);
}

Result<Response> updateNamespace(const Services& s, const Request& r) {
    TRY_ASSIGN(auto req, decodeNamespace(r));
    TRY(withContext(s.provider->updateNamespace(req), "updating namespace " + req.name));
    return Response::empty(202);
}

Result<Response> deleteNamespace(const Services& s, const Request& r) {
    TRY_ASSIGN(auto name, pathNamespace(r));
    TRY(withContext(s.provider->removeNamespace(name), "removing namespace " + name));
    return Response::empty(202);
}

} // namespace

void addNamespaceRoutes(Router& router, const Services& s) {
    router.add({"/system/namespaces", {"GET"}, true, RouteKind::Blocking, wrap(s, listNamespaces)});
    router.add(
        {"/system/namespace/{ns}", {"GET"}, true, RouteKind::Blocking, wrap(s, getNamespace)});
    router.add(
        {"/system/namespace/{ns}", {"POST"}, true, RouteKind::Blocking, wrap(s, createNamespace)});
    router.add(
        {"/system/namespace/{ns}", {"PUT"}, true, RouteKind::Blocking, wrap(s, updateNamespace)});
    router.add({"/system/namespace/{ns}",
                {"DELETE"},
                true,
                RouteKind::Blocking,
                wrap(s, deleteNamespace)});
}

} // namespace faasd::gateway
