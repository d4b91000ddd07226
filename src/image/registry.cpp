#include "image/registry.hpp"

#include "common/strings.hpp"
#include "image/oci.hpp"

#include <algorithm>

namespace faasd::image {
namespace {

// "host:port" -> "host"; "[::1]:5000" -> "::1".
std::string hostName(std::string_view host) {
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        return std::string(host.substr(1, close == std::string_view::npos ? close : close - 1));
    }
    auto colon = host.find(':');
    return std::string(host.substr(0, colon));
}

bool isLoopback(std::string_view host) {
    std::string name = asciiLower(hostName(host));
    if (name == "localhost" || name == "::1") {
        return true;
    }
    // 127.0.0.0/8 written as an address, not a name that starts like one.
    return name.rfind("127.", 0) == 0 && name.find_first_not_of("0123456789.") == std::string::npos;
}

std::string trimSlashes(std::string_view s) {
    while (!s.empty() && s.back() == '/') {
        s.remove_suffix(1);
    }
    return std::string(s);
}

} // namespace

std::string registryHost(std::string_view domain) {
    if (domain == "docker.io" || domain == "index.docker.io") {
        return "registry-1.docker.io";
    }
    return std::string(domain);
}

Endpoint makeEndpoint(std::string_view host, const RegistryOptions& options, bool mirror) {
    if (host.rfind("http://", 0) == 0) {
        return Endpoint{"http", trimSlashes(host.substr(7)), mirror};
    }
    if (host.rfind("https://", 0) == 0) {
        return Endpoint{"https", trimSlashes(host.substr(8)), mirror};
    }
    std::string h = trimSlashes(host);
    bool insecure = isLoopback(h) || std::find(options.insecure.begin(), options.insecure.end(),
                                               h) != options.insecure.end();
    return Endpoint{insecure ? "http" : "https", h, mirror};
}

std::vector<Endpoint> pullEndpoints(const Reference& reference, const RegistryOptions& options) {
    std::vector<Endpoint> out;
    if (auto it = options.mirrors.find(reference.domain); it != options.mirrors.end()) {
        for (const auto& m : it->second) {
            out.push_back(makeEndpoint(m, options, true));
        }
    }
    out.push_back(pushEndpoint(reference, options));
    return out;
}

Endpoint pushEndpoint(const Reference& reference, const RegistryOptions& options) {
    // The domain itself may be listed as insecure ("docker.io" is never).
    auto listed = std::find(options.insecure.begin(), options.insecure.end(), reference.domain) !=
                  options.insecure.end();
    Endpoint ep = makeEndpoint(registryHost(reference.domain), options);
    if (listed) {
        ep.scheme = "http";
    }
    return ep;
}

std::string manifestPath(const Reference& reference) {
    return manifestPath(reference, reference.digest.empty() ? reference.tag : reference.digest);
}

std::string manifestPath(const Reference& reference, std::string_view tagOrDigest) {
    return fmt::format("/v2/{}/manifests/{}", reference.path, tagOrDigest);
}

std::string blobPath(const Reference& reference, std::string_view digest) {
    return fmt::format("/v2/{}/blobs/{}", reference.path, digest);
}

std::string uploadPath(const Reference& reference) {
    return fmt::format("/v2/{}/blobs/uploads/", reference.path);
}

std::string manifestAccept() {
    return fmt::format("{}, {}, {}, {}", media::kOciManifest, media::kOciIndex,
                       media::kDockerManifest, media::kDockerManifestList);
}

std::string mediaTypeOf(std::string_view contentType) {
    auto semi = contentType.find(';');
    std::string_view t = contentType.substr(0, semi);
    while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) {
        t.remove_suffix(1);
    }
    while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) {
        t.remove_prefix(1);
    }
    return asciiLower(t);
}

} // namespace faasd::image
