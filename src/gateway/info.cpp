// /system/info: provider name, orchestration, versions and architecture.

#include "api/json.hpp"
#include "faasd_version.h"
#include "gateway/services.hpp"

#include <sys/utsname.h>

namespace faasd::gateway {

namespace {

// Not exactly "faasd": clients switch scaling and secret-update checks off
// for that name, and this provider supports both.
constexpr const char* kProviderName = "faasd-cpp";

std::string machineArch() {
    struct utsname u {};
    if (::uname(&u) != 0 || u.machine[0] == '\0') {
        return "unknown";
    }
    return u.machine;
}

Result<Response> systemInfo(const Services& s, const Request&) {
    api::ProviderInfo info = s.provider->info();
    if (info.provider.empty() || info.provider == "faasd") {
        info.provider = kProviderName;
    }
    if (info.orchestration.empty()) {
        info.orchestration = "containerd";
    }
    info.gatewayVersion = {FAASD_GIT_SHA, FAASD_VERSION};
    if (info.providerVersion.release.empty()) {
        info.providerVersion.release = FAASD_VERSION;
    }
    if (info.providerVersion.sha.empty()) {
        info.providerVersion.sha = FAASD_GIT_SHA;
    }
    if (info.arch.empty()) {
        info.arch = machineArch();
    }
    return Response::json(200, api::toJson(info));
}

} // namespace

void addInfoRoutes(Router& router, const Services& s) {
    router.add({"/system/info", {"GET"}, true, RouteKind::Blocking, wrap(s, systemInfo)});
}

} // namespace faasd::gateway
