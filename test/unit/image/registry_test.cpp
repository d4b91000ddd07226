// Endpoints, mirrors, URLs and Accept headers for registry requests.

#include "image/registry.hpp"
#include "image/registry_client.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::image;

namespace {
Reference refOf(std::string_view text) {
    return parseReference(text).value();
}
} // namespace

TEST_CASE("references map to registry hosts and API paths", "[registry]") {
    auto hub = refOf("functions/alpine");
    CHECK(registryHost(hub.domain) == "registry-1.docker.io");
    CHECK(manifestPath(hub) == "/v2/functions/alpine/manifests/latest");
    CHECK(manifestPath(refOf("alpine:3.18")) == "/v2/library/alpine/manifests/3.18");
    CHECK(blobPath(hub, "sha256:abc") == "/v2/functions/alpine/blobs/sha256:abc");
    CHECK(uploadPath(refOf("127.0.0.1:5000/team/say:0.1")) == "/v2/team/say/blobs/uploads/");

    const std::string digest = "sha256:" + std::string(64, 'a');
    auto pinned = refOf("ghcr.io/x/y:1@" + digest);
    CHECK(manifestPath(pinned) == "/v2/x/y/manifests/" + digest);
    CHECK(registryHost("ghcr.io") == "ghcr.io");
}

TEST_CASE("loopback and listed registries speak plain HTTP, others HTTPS", "[registry]") {
    RegistryOptions opts;
    opts.insecure = {"registry.lan:5000"};
    CHECK(pushEndpoint(refOf("127.0.0.1:5000/say"), opts).origin() == "http://127.0.0.1:5000");
    CHECK(pushEndpoint(refOf("localhost:5000/say"), opts).scheme == "http");
    CHECK(pushEndpoint(refOf("[::1]:5000/say"), opts).scheme == "http");
    CHECK(pushEndpoint(refOf("registry.lan:5000/say"), opts).scheme == "http");
    CHECK(pushEndpoint(refOf("registry.lan:5001/say"), opts).scheme == "https");
    CHECK(pushEndpoint(refOf("ghcr.io/x/y"), opts).origin() == "https://ghcr.io");
    CHECK(pushEndpoint(refOf("alpine"), opts).origin() == "https://registry-1.docker.io");
    // A host that merely starts like a loopback name is not one.
    CHECK(pushEndpoint(refOf("localhost.example.com/x"), opts).scheme == "https");
    CHECK(pushEndpoint(refOf("127.example.com/x"), opts).scheme == "https");
}

TEST_CASE("mirrors come first, in order, then the registry itself", "[registry]") {
    RegistryOptions opts;
    opts.mirrors["docker.io"] = {"mirror.lan:5000", "http://cache.lan/", "127.0.0.1:5001"};
    auto eps = pullEndpoints(refOf("functions/alpine"), opts);
    REQUIRE(eps.size() == 4);
    CHECK(eps[0].origin() == "https://mirror.lan:5000");
    CHECK(eps[0].mirror);
    CHECK(eps[1].origin() == "http://cache.lan");
    CHECK(eps[2].origin() == "http://127.0.0.1:5001");
    CHECK(eps[3].origin() == "https://registry-1.docker.io");
    CHECK_FALSE(eps[3].mirror);

    auto other = pullEndpoints(refOf("ghcr.io/x/y"), opts);
    REQUIRE(other.size() == 1);
    CHECK(other[0].origin() == "https://ghcr.io");
}

TEST_CASE("manifest requests accept OCI and Docker manifests and indexes", "[registry]") {
    auto accept = manifestAccept();
    for (auto t : {media::kOciManifest, media::kOciIndex, media::kDockerManifest,
                   media::kDockerManifestList}) {
        CHECK(accept.find(t) != std::string::npos);
    }
    CHECK(mediaTypeOf("application/vnd.oci.image.manifest.v1+json; charset=utf-8") ==
          media::kOciManifest);
    CHECK(mediaTypeOf(" Application/JSON ") == "application/json");
}

TEST_CASE("URLs parse and Location headers resolve against them", "[registry]") {
    auto url = parseUrl("http://127.0.0.1:5000/v2/x/blobs/uploads/abc?_state=1").value();
    CHECK(url.scheme == "http");
    CHECK(url.host == "127.0.0.1:5000");
    CHECK(url.target == "/v2/x/blobs/uploads/abc?_state=1");
    CHECK(parseUrl("https://auth.example").value().target == "/");
    CHECK_FALSE(parseUrl("ftp://x/y"));
    CHECK_FALSE(parseUrl("/relative"));

    CHECK(resolveUrl(url, "/v2/y").value().origin() == "http://127.0.0.1:5000");
    CHECK(resolveUrl(url, "/v2/y").value().target == "/v2/y");
    CHECK(resolveUrl(url, "def").value().target == "/v2/x/blobs/uploads/def");
    auto moved = resolveUrl(url, "https://store.example/b?sig=1").value();
    CHECK(moved.origin() == "https://store.example");
    CHECK(moved.target == "/b?sig=1");
    CHECK(resolveUrl(url, "//cdn.example/z").value().origin() == "http://cdn.example");

    CHECK(urlEncode("repository:a/b:pull,push") == "repository%3Aa%2Fb%3Apull%2Cpush");
}
