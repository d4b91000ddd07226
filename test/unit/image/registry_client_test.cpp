// The registry HTTP client against small fake registries on loopback:
// bearer tokens, basic auth, refusals, missing manifests, redirected blob
// downloads that keep credentials at home, digest checks, unreachable hosts.

#include "common/base64.hpp"
#include "common/files.hpp"
#include "image/digest.hpp"
#include "image/registry_blob.hpp"
#include "image/registry_client.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <mutex>
#include <thread>

using namespace faasd;
using namespace faasd::image;
using namespace std::chrono_literals;

namespace {

// An httplib server on 127.0.0.1 and a port of its own, stopped on scope exit.
struct FakeServer {
    httplib::Server server;
    int port = 0;
    std::thread thread;

    void start() {
        port = server.bind_to_any_port("127.0.0.1");
        REQUIRE(port > 0);
        thread = std::thread([this] { server.listen_after_bind(); });
        REQUIRE(waitUntil([&] { return server.is_running(); }, 10s, 1ms));
    }
    ~FakeServer() {
        server.stop();
        if (thread.joinable()) {
            thread.join();
        }
    }
    std::string host() const { return "127.0.0.1:" + std::to_string(port); }
};

const std::string kManifest =
    R"({"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
    R"("config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:)" +
    std::string(64, 'c') + R"(","size":2},"layers":[]})";
const std::string kBlob = "layer bytes, not really a tar";

// A registry that wants bearer tokens from its own /token endpoint, which
// wants basic credentials alice:pw, and hands blobs to a second server.
struct TokenRegistry {
    FakeServer registry, storage;
    std::mutex mu;
    std::string tokenQueryScope, tokenQueryService, storageAuthorization = "unset";
    bool useAccessToken = false;

    TokenRegistry() {
        auto& s = registry.server;
        s.Get("/token", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            tokenQueryScope = req.get_param_value("scope");
            tokenQueryService = req.get_param_value("service");
            if (req.get_header_value("Authorization") != "Basic " + base64Encode("alice:pw")) {
                res.status = 401;
                return;
            }
            res.set_content(useAccessToken ? R"({"access_token":"tok-123"})"
                                           : R"({"token":"tok-123"})",
                            "application/json");
        });
        auto authorized = [this](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Authorization") == "Bearer tok-123") {
                return true;
            }
            res.status = 401;
            res.set_header("WWW-Authenticate",
                           "Bearer realm=\"http://" + registry.host() +
                               "/token\",service=\"fake\",scope=\"repository:lib/app:pull\"");
            res.set_content(R"({"errors":[{"code":"UNAUTHORIZED","message":"no"}]})",
                            "application/json");
            return false;
        };
        s.Get("/v2/lib/app/manifests/1",
              [=, this](const httplib::Request& req, httplib::Response& res) {
                  if (!authorized(req, res)) {
                      return;
                  }
                  res.set_header("Docker-Content-Digest", sha256Digest(kManifest));
                  res.set_content(kManifest, "application/vnd.oci.image.manifest.v1+json");
              });
        s.Get("/v2/lib/app/manifests/missing",
              [=, this](const httplib::Request& req, httplib::Response& res) {
                  if (!authorized(req, res)) {
                      return;
                  }
                  res.status = 404;
                  res.set_content(
                      R"({"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown"}]})",
                      "application/json");
              });
        s.Get(R"(/v2/lib/app/blobs/(.*))",
              [=, this](const httplib::Request& req, httplib::Response& res) {
                  if (!authorized(req, res)) {
                      return;
                  }
                  res.status = 307;
                  res.set_header("Location", "http://" + storage.host() + "/blob?sig=x");
              });
        storage.server.Get("/blob", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mu);
            storageAuthorization = req.get_header_value("Authorization");
            res.set_content(kBlob, "application/octet-stream");
        });
        registry.start();
        storage.start();
    }

    Reference ref(const std::string& tag = "1") {
        return parseReference(registry.host() + "/lib/app:" + tag).value();
    }
    RegistryClient client(std::optional<Credentials> creds) {
        return RegistryClient(Endpoint{"http", registry.host()}, "lib/app", "pull",
                              std::move(creds), 5s);
    }
};

} // namespace

TEST_CASE("a bearer challenge is answered with a token fetched with basic credentials",
          "[registry][auth]") {
    TokenRegistry fake;
    fake.useAccessToken = GENERATE(false, true);
    auto client = fake.client(Credentials{"alice", "pw", ""});
    auto m = fetchManifest(client, fake.ref(), "1");
    REQUIRE(m);
    CHECK(m->body == kManifest);
    CHECK(m->descriptor.digest == sha256Digest(kManifest));
    CHECK(m->descriptor.mediaType == media::kOciManifest);
    CHECK(fake.tokenQueryScope == "repository:lib/app:pull");
    CHECK(fake.tokenQueryService == "fake");
}

TEST_CASE("refused credentials and missing manifests are told apart", "[registry][auth]") {
    TokenRegistry fake;
    auto wrong = fake.client(Credentials{"alice", "nope", ""});
    auto denied = fetchManifest(wrong, fake.ref(), "1");
    REQUIRE_FALSE(denied);
    CHECK(denied.error().code() == Code::PermissionDenied);
    CHECK(denied.error().message().find("alice") != std::string::npos);

    auto anonymous = fake.client(std::nullopt);
    CHECK(fetchManifest(anonymous, fake.ref(), "1").error().code() == Code::PermissionDenied);

    auto good = fake.client(Credentials{"alice", "pw", ""});
    auto missing = fetchManifest(good, fake.ref("missing"), "missing");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    CHECK(missing.error().message().find("lib/app:missing") != std::string::npos);
    CHECK(missing.error().message().find("MANIFEST_UNKNOWN") != std::string::npos);

    auto pinned = fetchManifest(good, fake.ref(), "sha256:" + std::string(64, 'e'));
    REQUIRE_FALSE(pinned);
}

TEST_CASE("blob downloads follow redirects without sending credentials along", "[registry][blob]") {
    TokenRegistry fake;
    auto client = fake.client(Credentials{"alice", "pw", ""});
    auto dir = TempDir::create("faasd-blob-").value();
    auto file = dir.path() / "blob";
    Descriptor blob{
        "application/octet-stream", sha256Digest(kBlob), static_cast<int64_t>(kBlob.size()), {}};
    auto ok = downloadBlob(client, fake.ref(), blob, file);
    REQUIRE(ok);
    CHECK(readFile(file).value() == kBlob);
    CHECK(fake.storageAuthorization.empty());

    Descriptor wrongDigest = blob;
    wrongDigest.digest = sha256Digest("other");
    auto bad = downloadBlob(client, fake.ref(), wrongDigest, file);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::FailedPrecondition);
    CHECK(bad.error().message().find(wrongDigest.digest) != std::string::npos);

    Descriptor tooSmall = blob;
    tooSmall.size = 4;
    auto big = downloadBlob(client, fake.ref(), tooSmall, file);
    REQUIRE_FALSE(big);
    CHECK(big.error().message().find("more than the expected 4 bytes") != std::string::npos);
}

TEST_CASE("a basic-auth registry gets the configured credentials", "[registry][auth]") {
    FakeServer fake;
    fake.server.Get(
        "/v2/lib/app/manifests/1", [](const httplib::Request& req, httplib::Response& res) {
            if (req.get_header_value("Authorization") != "Basic " + base64Encode("bob:pw")) {
                res.status = 401;
                res.set_header("WWW-Authenticate", "Basic realm=\"fake\"");
                return;
            }
            res.set_content(kManifest, "application/json"); // sniffed from the body
        });
    fake.start();
    auto ref = parseReference(fake.host() + "/lib/app:1").value();
    RegistryClient anonymous(Endpoint{"http", fake.host()}, "lib/app", "pull", std::nullopt, 5s);
    auto refused = fetchManifest(anonymous, ref, "1");
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == Code::PermissionDenied);
    CHECK(refused.error().message().find("requires credentials") != std::string::npos);

    RegistryClient bob(Endpoint{"http", fake.host()}, "lib/app", "pull",
                       Credentials{"bob", "pw", ""}, 5s);
    auto m = fetchManifest(bob, ref, "1");
    REQUIRE(m);
    CHECK(m->descriptor.mediaType == media::kOciManifest);
}

TEST_CASE("an unreachable registry is Unavailable and named", "[registry]") {
    int port = 0;
    {
        FakeServer closed;
        closed.start();
        port = closed.port;
    }
    const std::string host = "127.0.0.1:" + std::to_string(port);
    RegistryClient client(Endpoint{"http", host}, "lib/app", "pull", std::nullopt, 2s);
    auto r = fetchManifest(client, parseReference(host + "/lib/app:1").value(), "1");
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::Unavailable);
    CHECK(r.error().message().find(host) != std::string::npos);
}
