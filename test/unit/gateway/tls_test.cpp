// HTTPS at the gateway: certificates a test makes (common/self_signed),
// clients that trust one CA or another, and the files replaced under a
// running gateway.

#include "catch_result.hpp"
#include "common/files.hpp"
#include "common/self_signed.hpp"
#include "gateway/tls.hpp"
#include "harness.hpp"
#include "wait.hpp"

#include <arpa/inet.h>
#include <memory>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;
namespace fs = std::filesystem;

namespace {

SelfSignedRequest loopback() {
    SelfSignedRequest r;
    r.dnsNames = {"localhost"};
    r.addresses = {"127.0.0.1"};
    return r;
}

// A pair of files in dir (name.pem, name-key.pem) and the CA that signed it.
struct Pem {
    fs::path cert, key, ca;
};
Pem writePair(const fs::path& dir, const std::string& name) {
    auto made = makeSelfSigned(loopback());
    REQUIRE(made);
    Pem p{dir / (name + ".pem"), dir / (name + "-key.pem"), dir / (name + "-ca.pem")};
    REQUIRE(writeFileAtomic(p.cert, made->certPem, 0644));
    REQUIRE(writeFileAtomic(p.key, made->keyPem, 0600));
    REQUIRE(writeFileAtomic(p.ca, made->caPem, 0644));
    return p;
}

// The files the gateway serves, overwritten with other's content.
void install(const Pem& other, const fs::path& cert, const fs::path& key) {
    REQUIRE(writeFileAtomic(key, readFile(other.key).value(), 0600));
    REQUIRE(writeFileAtomic(cert, readFile(other.cert).value(), 0644));
}

std::unique_ptr<httplib::SSLClient> client(uint16_t port, const fs::path& ca) {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port);
    c->set_ca_cert_path(ca.c_str());
    c->enable_server_certificate_verification(true);
    c->set_connection_timeout(std::chrono::seconds(5));
    c->set_read_timeout(std::chrono::seconds(5));
    return c;
}

bool trusts(uint16_t port, const fs::path& ca) {
    auto c = client(port, ca);
    auto res = c->Get("/healthz");
    return res && res->status == 200;
}

// Whether a TLS handshake with at most maxVersion and, when given, only
// the TLS 1.2 ciphers named succeeds (no certificate check).
bool handshakes(uint16_t port, int maxVersion, const char* ciphers = nullptr) {
    std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_client_method()),
                                                          SSL_CTX_free);
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), maxVersion);
    SSL_CTX_set_security_level(ctx.get(), 0); // let the client offer old protocols
    if (ciphers != nullptr) {
        SSL_CTX_set_cipher_list(ctx.get(), ciphers);
    }
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx.get()), SSL_free);
    SSL_set_fd(ssl.get(), fd);
    const bool ok = SSL_connect(ssl.get()) == 1;
    ::close(fd);
    return ok;
}

struct TlsHarness {
    explicit TlsHarness(std::chrono::milliseconds watch = std::chrono::milliseconds(0),
                        bool redirect = true)
        : first(writePair(dir.path(), "first")), cert(dir.path() / "cert.pem"),
          key(dir.path() / "key.pem") {
        install(first, cert, key);
        GatewayConfig c = Harness::defaultConfig();
        c.tls = {.certFile = cert, .keyFile = key, .redirectPlain = redirect, .watch = watch};
        h = std::make_unique<Harness>(c);
        h->provider.setEndpoints("echo", "openfaas-fn", {up.endpoint()});
        REQUIRE(h->gateway->start());
    }
    uint16_t port() const { return h->gateway->port(); }

    TempDir dir = TempDir::create("faasd-tls-test").value();
    Pem first;
    fs::path cert, key;
    TestUpstream up{"echo-0"};
    std::unique_ptr<Harness> h;
};

} // namespace

TEST_CASE("a certificate or key that cannot serve is refused, naming the file") {
    TempDir dir = TempDir::create("faasd-tls-test").value();
    const Pem a = writePair(dir.path(), "a");
    const Pem b = writePair(dir.path(), "b");
    auto missing = makeServerContext((dir.path() / "none.pem").string(), a.key);
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message(), Catch::Matchers::Contains("none.pem"));
    auto mismatched = makeServerContext(a.cert, b.key);
    REQUIRE_FALSE(mismatched);
    CHECK_THAT(mismatched.error().message(), Catch::Matchers::Contains("does not match"));
    REQUIRE(writeFileAtomic(dir.path() / "junk.pem", "not a certificate\n", 0644));
    auto junk = makeServerContext((dir.path() / "junk.pem").string(), a.key);
    REQUIRE_FALSE(junk);
    CHECK_THAT(junk.error().message(), Catch::Matchers::Contains("junk.pem"));
    CHECK(makeServerContext(a.cert, a.key));

    // A gateway whose files are wrong does not start.
    GatewayConfig c = Harness::defaultConfig();
    c.tls = {.certFile = a.cert, .keyFile = b.key};
    Harness h(c);
    auto started = h.gateway->start();
    REQUIRE_FALSE(started);
    CHECK_THAT(started.error().message(), Catch::Matchers::Contains("does not match"));
}

TEST_CASE("HTTPS serves the API and invocations, large bodies both ways") {
    TlsHarness t;
    CHECK(trusts(t.port(), t.first.ca));
    auto c = client(t.port(), t.first.ca);
    const std::string body(3 << 20, 'x'); // larger than a TLS record and a socket buffer
    auto res = c->Post("/function/echo", body, "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == body);
    // Chunked both ways: the upload streams, the answer is relayed as it comes.
    size_t sent = 0;
    auto chunked = c->Post(
        "/function/echo",
        [&](size_t, httplib::DataSink& sink) {
            if (sent < 4) {
                std::string piece(100000, char('a' + sent));
                sink.write(piece.data(), piece.size());
                ++sent;
            } else {
                sink.done();
            }
            return true;
        },
        "text/plain");
    REQUIRE(chunked);
    CHECK(chunked->status == 200);
    CHECK(chunked->body.size() == 400000);
    // Several requests on one connection.
    for (int i = 0; i < 5; ++i) {
        auto again = c->Get("/healthz");
        REQUIRE(again);
        CHECK(again->status == 200);
    }
}

TEST_CASE("over HTTPS: logs stream, 100-continue is answered, the API's routes work") {
    TlsHarness t;
    t.h->provider.addFunction("say", "openfaas-fn", "say:1");
    api::LogMessage m;
    m.name = "say";
    m.instance = "say-0";
    m.text = "a line";
    t.h->provider.logLines = {m, m, m};
    auto c = client(t.port(), t.first.ca);
    auto logs = c->Get("/system/logs?name=say&tail=-1&follow=false");
    REQUIRE(logs);
    CHECK(logs->status == 200);
    CHECK(std::count(logs->body.begin(), logs->body.end(), '\n') == 3);
    // A body sent after "Expect: 100-continue" (curl does so past 1 MiB).
    httplib::Headers expect{{"Expect", "100-continue"}};
    auto res = c->Post("/function/echo", expect, std::string(2 << 20, 'y'), "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.size() == size_t(2 << 20));
    auto functions = c->Get("/system/functions");
    REQUIRE(functions);
    CHECK(functions->status == 200);
}

TEST_CASE("only TLS 1.2 and 1.3 with forward-secret AEAD ciphers are spoken") {
    TlsHarness t;
    CHECK(handshakes(t.port(), TLS1_3_VERSION));
    CHECK(handshakes(t.port(), TLS1_2_VERSION));
    CHECK_FALSE(handshakes(t.port(), TLS1_1_VERSION));
    CHECK_FALSE(handshakes(t.port(), TLS1_VERSION));
    CHECK_FALSE(handshakes(t.port(), TLS1_2_VERSION, "AES128-SHA:AES256-GCM-SHA384"));
    CHECK_FALSE(handshakes(t.port(), TLS1_2_VERSION, "ECDHE-RSA-AES128-SHA"));
    CHECK(handshakes(t.port(), TLS1_2_VERSION, "ECDHE-ECDSA-CHACHA20-POLY1305"));
}

TEST_CASE("plain HTTP on the HTTPS port is redirected, or refused") {
    {
        TlsHarness t;
        RawClient raw(t.port());
        raw.send("GET /ui/?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8443\r\n\r\n");
        std::string answer;
        REQUIRE(raw.readToClose(answer));
        CHECK(answer.find("HTTP/1.1 308") == 0);
        CHECK(answer.find("Location: https://127.0.0.1:8443/ui/?x=1\r\n") != std::string::npos);
        // A Host that could not be a host is not echoed.
        RawClient odd(t.port());
        odd.send("GET / HTTP/1.1\r\nHost: a b\r\n\r\n");
        REQUIRE(odd.readToClose(answer));
        CHECK(answer.find("HTTP/1.1 400") == 0);
    }
    TlsHarness refusing(std::chrono::milliseconds(0), false);
    RawClient raw(refusing.port());
    raw.send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
    std::string answer;
    REQUIRE(raw.readToClose(answer));
    CHECK(answer.find("HTTP/1.1 400") == 0);
    CHECK(answer.find("https://") != std::string::npos);
}

TEST_CASE("the daemon's own callers have a plain listener on loopback") {
    TlsHarness t;
    REQUIRE(t.h->gateway->internalPort() != t.port());
    httplib::Client plain("127.0.0.1", t.h->gateway->internalPort());
    auto res = plain.Post("/function/echo", "inside", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "inside");

    Harness noTls; // without TLS they use the one port
    REQUIRE(noTls.gateway->start());
    CHECK(noTls.gateway->internalPort() == noTls.gateway->port());
    CHECK_FALSE(noTls.gateway->reloadTls());
}

TEST_CASE("a reload serves new certificates to new connections, keeping open ones") {
    TlsHarness t;
    auto kept = client(t.port(), t.first.ca);
    kept->set_keep_alive(true);
    REQUIRE(kept->Get("/healthz"));

    const Pem second = writePair(t.dir.path(), "second");
    install(second, t.cert, t.key);
    CHECK(trusts(t.port(), t.first.ca)); // not watched: nothing changed yet
    REQUIRE(t.h->gateway->reloadTls());
    CHECK(trusts(t.port(), second.ca));
    CHECK_FALSE(trusts(t.port(), t.first.ca));
    auto res = kept->Get("/healthz"); // the connection made before the reload
    REQUIRE(res);
    CHECK(res->status == 200);

    // Files that do not load leave the certificate in use.
    REQUIRE(writeFileAtomic(t.cert, "garbage\n", 0644));
    CHECK_FALSE(t.h->gateway->reloadTls());
    CHECK(trusts(t.port(), second.ca));
}

TEST_CASE("watched files are reloaded when they change") {
    TlsHarness t(std::chrono::milliseconds(20));
    const Pem second = writePair(t.dir.path(), "second");
    // A key written before its certificate: the mismatched pair in between
    // is tried, refused, and the complete pair loads once the rest arrives.
    REQUIRE(writeFileAtomic(t.key, readFile(second.key).value(), 0600));
    REQUIRE(waitUntil([&] { return trusts(t.port(), t.first.ca); }, std::chrono::seconds(5)));
    REQUIRE(writeFileAtomic(t.cert, readFile(second.cert).value(), 0644));
    CHECK(waitUntil([&] { return trusts(t.port(), second.ca); }, std::chrono::seconds(10)));
    CHECK_FALSE(trusts(t.port(), t.first.ca));
}

TEST_CASE("a self-signed certificate names what it is for and chains to its CA") {
    auto made = makeSelfSigned(loopback());
    REQUIRE(made);
    CHECK(made->certPem.find("BEGIN CERTIFICATE") != std::string::npos);
    CHECK(made->keyPem.find("BEGIN PRIVATE KEY") != std::string::npos);
    CHECK(made->caPem != made->certPem);
    CHECK_FALSE(makeSelfSigned({}));

    TempDir dir = TempDir::create("faasd-tls-test").value();
    auto files = ensureSelfSigned(dir.path() / "tls", loopback());
    REQUIRE(files);
    CHECK(files->created);
    CHECK((fs::status(files->key).permissions() & fs::perms::others_read) == fs::perms::none);
    const std::string cert = readFile(files->cert).value();
    auto again = ensureSelfSigned(dir.path() / "tls", loopback());
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK(readFile(again->cert).value() == cert); // kept
}
