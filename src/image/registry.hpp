#pragma once

// Where an image's registry is and how to address it over the OCI
// distribution API: endpoints (mirrors first, then the origin), the scheme
// each is spoken to with, and the request paths and Accept header.

#include "common/error.hpp"
#include "image/pull.hpp"
#include "image/reference.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace faasd::image {

struct Endpoint {
    std::string scheme; // "https" or "http"
    std::string host;   // "registry-1.docker.io", "127.0.0.1:5000"
    bool mirror = false;

    // "https://registry-1.docker.io"
    std::string origin() const { return scheme + "://" + host; }
};

// The host that serves a reference's domain: docker.io is served by
// registry-1.docker.io; every other domain serves itself.
std::string registryHost(std::string_view domain);

// Plain HTTP for loopback registries (localhost, 127.0.0.0/8, [::1]) and for
// those listed in options.insecure (by domain or host); HTTPS otherwise.
// A mirror given with a scheme ("http://mirror:5000") keeps it.
Endpoint makeEndpoint(std::string_view host, const RegistryOptions& options, bool mirror = false);

// Mirrors of the reference's domain in the order configured, then the
// registry itself.
std::vector<Endpoint> pullEndpoints(const Reference& reference, const RegistryOptions& options);

// The registry itself (pushes never go to mirrors).
Endpoint pushEndpoint(const Reference& reference, const RegistryOptions& options);

// "/v2/<path>/manifests/<digest or tag>": the digest wins when both are set.
std::string manifestPath(const Reference& reference);
std::string manifestPath(const Reference& reference, std::string_view tagOrDigest);
std::string blobPath(const Reference& reference, std::string_view digest);
std::string uploadPath(const Reference& reference);

// The Accept header for manifest requests: OCI and Docker manifests and
// indexes.
std::string manifestAccept();

// The media type of a Content-Type value, without parameters or case.
std::string mediaTypeOf(std::string_view contentType);

} // namespace faasd::image
