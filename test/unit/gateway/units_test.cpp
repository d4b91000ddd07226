// Pure pieces: route patterns, query parsing, status mapping, auth checks,
// invoke targets.

#include "catch_result.hpp"
#include "common/base64.hpp"
#include "common/files.hpp"
#include "common/strings.hpp"
#include "gateway/auth.hpp"
#include "gateway/errors.hpp"
#include "gateway/invoke.hpp"
#include "gateway/router.hpp"

using namespace faasd;
using namespace faasd::gateway;

TEST_CASE("route patterns: literals, {name} and {*rest}") {
    std::map<std::string, std::string> p;
    CHECK(matchPattern("/system/functions", "/system/functions", p));
    CHECK_FALSE(matchPattern("/system/functions", "/system/functions/x", p));
    CHECK(matchPattern("/system/function/{name}", "/system/function/say", p));
    CHECK(p["name"] == "say");
    CHECK_FALSE(matchPattern("/system/function/{name}", "/system/function/", p));
    CHECK(matchPattern("/function/{*target}", "/function/say.dev/a/b", p));
    CHECK(p["target"] == "say.dev/a/b");
    CHECK(matchPattern("/ui/{*rest}", "/ui/", p));
    CHECK(p["rest"].empty());
    CHECK_FALSE(matchPattern("/ui/{*rest}", "/uix", p));
}

TEST_CASE("query parsing decodes and keeps the first value") {
    auto q = parseQuery("namespace=dev&since=2024-01-01T00%3A00%3A00%2B01%3A00&a=1&a=2&flag");
    CHECK(q["namespace"] == "dev");
    CHECK(q["since"] == "2024-01-01T00:00:00+01:00");
    CHECK(q["a"] == "1");
    CHECK(q.count("flag") == 1);
}

TEST_CASE("errors map to status codes in one place") {
    CHECK(statusFor(Code::InvalidArgument) == 400);
    CHECK(statusFor(Code::NotFound) == 404);
    CHECK(statusFor(Code::AlreadyExists) == 409);
    CHECK(statusFor(Code::FailedPrecondition) == 400);
    CHECK(statusFor(Code::PermissionDenied) == 403);
    CHECK(statusFor(Code::ResourceExhausted) == 429);
    CHECK(statusFor(Code::Unavailable) == 503);
    CHECK(statusFor(Code::Timeout) == 504);
    CHECK(statusFor(Code::Internal) == 500);
    auto r = errorResponse(Error(Code::NotFound, "function x not found"));
    CHECK(r.status == 404);
    CHECK(r.body == "function x not found\n");
}

TEST_CASE("basic auth accepts only the exact credentials") {
    BasicAuth auth({"admin", "secret"});
    CHECK(auth.allows("Basic " + base64Encode("admin:secret")));
    CHECK_FALSE(auth.allows("Basic " + base64Encode("admin:secreT")));
    CHECK_FALSE(auth.allows("Basic " + base64Encode("admin:secret2")));
    CHECK_FALSE(auth.allows("Basic " + base64Encode("admin")));
    CHECK_FALSE(auth.allows("Bearer abc"));
    CHECK_FALSE(auth.allows(std::nullopt));
    CHECK(constantTimeEquals("abc", "abc"));
    CHECK_FALSE(constantTimeEquals("abc", "abcd"));
    CHECK_FALSE(constantTimeEquals("", "a"));
}

TEST_CASE("invoke targets split at the last dot and keep the path") {
    auto t = parseInvokeTarget("say", "openfaas-fn");
    REQUIRE(t);
    CHECK(t->function.name == "say");
    CHECK(t->function.ns == "openfaas-fn");
    CHECK(t->path == "/");
    t = parseInvokeTarget("say.dev/a/b.c", "openfaas-fn");
    REQUIRE(t);
    CHECK(t->function.name == "say");
    CHECK(t->function.ns == "dev");
    CHECK(t->path == "/a/b.c");
    auto bad = parseInvokeTarget("", "openfaas-fn");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::NotFound);
    CHECK_FALSE(parseInvokeTarget("Bad_Name", "openfaas-fn"));
    CHECK(isCallbackUrl("http://127.0.0.1:8080/cb"));
    CHECK(isCallbackUrl("https://example.com"));
    CHECK_FALSE(isCallbackUrl("ftp://x"));
    CHECK_FALSE(isCallbackUrl("http://"));
    CHECK_FALSE(isCallbackUrl("not a url"));
}

TEST_CASE("credentials are read from basic-auth-user and basic-auth-password") {
    auto dir = TempDir::create("gateway-auth");
    REQUIRE(dir);
    REQUIRE(writeFileAtomic(dir->path() / "basic-auth-user", "admin\n", 0600));
    REQUIRE(writeFileAtomic(dir->path() / "basic-auth-password", "s3cret\n", 0600));
    auto c = readCredentials(dir->path());
    REQUIRE(c);
    CHECK(c->user == "admin");
    CHECK(c->password == "s3cret");
    std::filesystem::remove(dir->path() / "basic-auth-password");
    CHECK_FALSE(readCredentials(dir->path()));
}

TEST_CASE("head building: fields, numbers and seconds with six decimals") {
    std::string head;
    appendField(head, "X-Call-Id", "abc");
    appendNumber(head, 0);
    head += ' ';
    appendNumber(head, 18446744073709551615ULL);
    CHECK(head == "X-Call-Id: abc\r\n0 18446744073709551615");
    auto seconds = [](uint64_t ns) {
        std::string s;
        appendSeconds(s, ns);
        return s;
    };
    CHECK(seconds(0) == "0.000000");
    CHECK(seconds(1'234'567) == "0.001234");
    CHECK(seconds(12'000'999'999) == "12.000999");
    CHECK(iequals("Content-LENGTH", "content-length"));
    CHECK_FALSE(iequals("Content-Lengtx", "content-length"));
    CHECK_FALSE(iequals("[", "{")); // not letters: no case folding
}
