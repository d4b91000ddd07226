// What a registry and its token server say about authentication: the
// WWW-Authenticate challenges of a 401, the token answer, the realm's URL
// (and a redirect's Location against it), and a docker config.json's
// credentials for a host. The first byte picks which ('0' to '3').
#include "image/auth.hpp"
#include "image/registry_client.hpp"
#include "input.hpp"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    if (size == 0) {
        return 0;
    }
    const std::string_view text = fuzz::asText(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0: // '0': a WWW-Authenticate value
        for (const auto& challenge : image::parseWwwAuthenticate(text)) {
            if (auto realm = challenge.params.find("realm"); realm != challenge.params.end()) {
                (void)image::parseUrl(realm->second);
            }
        }
        break;
    case 1: // '1': a token server's answer
        (void)image::tokenFromAnswer(text);
        break;
    case 2: { // '2': a URL, '\n', a Location header to resolve against it
        const auto parts = fuzz::splitLines(text, 1);
        if (auto url = image::parseUrl(parts.front())) {
            (void)url->origin();
            (void)image::resolveUrl(*url, parts.back());
        }
        (void)image::urlEncode(parts.back());
        break;
    }
    case 3: { // '3': a registry host, '\n', a docker config.json
        const auto parts = fuzz::splitLines(text, 1);
        auto found = image::lookupCredentials(parts.back(), parts.front());
        if (found && *found) {
            (void)image::basicAuthorization(**found);
        }
        break;
    }
    }
    return 0;
}
