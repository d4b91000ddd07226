#include "common/http_headers.hpp"

#include "common/strings.hpp"

namespace faasd {

// Told apart by length first: on the proxy paths most names are none of these.
bool isHopByHop(std::string_view name) noexcept {
    switch (name.size()) {
    case 2:
        return iequals(name, "te");
    case 7:
        return iequals(name, "trailer") || iequals(name, "upgrade");
    case 10:
        return iequals(name, "connection") || iequals(name, "keep-alive");
    case 16:
        return iequals(name, "proxy-connection");
    case 17:
        return iequals(name, "transfer-encoding");
    case 18:
        return iequals(name, "proxy-authenticate");
    case 19:
        return iequals(name, "proxy-authorization");
    default:
        return false;
    }
}

} // namespace faasd
