// /system/secrets: list (names only), create, update, delete.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "gateway/services.hpp"

namespace faasd::gateway {

namespace {

Result<Response> listSecrets(const Services& s, const Request& r) {
    TRY_ASSIGN(auto ns, resolveNamespace(r, {}, s.defaultNs()));
    TRY_ASSIGN(auto list, s.provider->listSecrets(ns));
    return Response::json(200, api::secretListJson(list));
}

Result<api::Secret> decodeSecret(const Services& s, const Request& r) {
    TRY_ASSIGN(auto secret, decodeBody(r, api::parseSecret));
    TRY(api::validateSecretName(secret.name));
    TRY_ASSIGN(secret.ns, resolveNamespace(r, secret.ns, s.defaultNs()));
    return secret;
}

Result<Response> createSecret(const Services& s, const Request& r) {
    TRY_ASSIGN(auto secret, decodeSecret(s, r));
    TRY(withContext(s.provider->createSecret(secret), "creating secret " + secret.name));
    return Response::empty(201);
}

Result<Response> updateSecret(const Services& s, const Request& r) {
    TRY_ASSIGN(auto secret, decodeSecret(s, r));
    TRY(withContext(s.provider->updateSecret(secret), "updating secret " + secret.name));
    return Response::empty(200);
}

Result<Response> deleteSecret(const Services& s, const Request& r) {
    TRY_ASSIGN(auto secret, decodeBody(r, api::parseSecret));
    TRY(api::validateSecretName(secret.name));
    TRY_ASSIGN(auto ns, resolveNamespace(r, secret.ns, s.defaultNs()));
    TRY(withContext(s.provider->removeSecret(secret.name, ns), "removing secret " + secret.name));
    return Response::empty(202);
}

} // namespace

void addSecretRoutes(Router& router, const Services& s) {
    router.add({"/system/secrets", {"GET"}, true, RouteKind::Blocking, wrap(s, listSecrets)});
    router.add({"/system/secrets", {"POST"}, true, RouteKind::Blocking, wrap(s, createSecret)});
    router.add({"/system/secrets", {"PUT"}, true, RouteKind::Blocking, wrap(s, updateSecret)});
    router.add({"/system/secrets", {"DELETE"}, true, RouteKind::Blocking, wrap(s, deleteSecret)});
}

} // namespace faasd::gateway
