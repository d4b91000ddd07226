#include "api/function_ref.hpp"
#include "api/validate.hpp"
#include "catch_result.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::api;

TEST_CASE("function names are DNS-1123 labels", "[api]") {
    CHECK(validateName("function name", "say"));
    CHECK(validateName("function name", "say-2"));
    CHECK(validateName("function name", std::string(63, 'a')));
    CHECK_FALSE(validateName("function name", std::string(64, 'a')));
    CHECK_FALSE(validateName("function name", ""));
    CHECK_FALSE(validateName("function name", "Say"));
    CHECK_FALSE(validateName("function name", "-say"));
    CHECK_FALSE(validateName("function name", "say-"));
    CHECK_FALSE(validateName("function name", "say.fn"));
    auto r = validateName("function name", "Bad_Name");
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("Bad_Name") != std::string::npos);
}

TEST_CASE("secret names cannot escape their directory", "[api]") {
    CHECK(validateSecretName("api-key"));
    CHECK(validateSecretName("db.password_1"));
    CHECK_FALSE(validateSecretName("../etc/passwd"));
    CHECK_FALSE(validateSecretName("a/b"));
    CHECK_FALSE(validateSecretName(".."));
    CHECK_FALSE(validateSecretName(""));
    CHECK_FALSE(validateSecretName("a b"));
}

TEST_CASE("memory quantities", "[api]") {
    CHECK(parseMemory("128Mi").value() == 128 * 1024 * 1024);
    CHECK(parseMemory("1Gi").value() == 1024LL * 1024 * 1024);
    CHECK(parseMemory("512M").value() == 512'000'000);
    CHECK(parseMemory("1000000").value() == 1'000'000);
    CHECK(parseMemory("0.5Gi").value() == 512LL * 1024 * 1024);
    CHECK_FALSE(parseMemory("lots"));
    CHECK_FALSE(parseMemory("-1Mi"));
    CHECK_FALSE(parseMemory("Mi"));
    CHECK_FALSE(parseMemory("0"));
    CHECK(parseMemory("8388607Ti").value() == 8388607LL * 1024 * 1024 * 1024 * 1024);
    CHECK_FALSE(parseMemory("8388608Ti")); // 2^63 bytes
    CHECK_FALSE(parseMemory("1e30"));
    CHECK_FALSE(parseMemory("111111111111111111111111111111111"));
    auto r = parseMemory("12XB");
    REQUIRE_FALSE(r);
    CHECK(r.error().message().find("12XB") != std::string::npos);
}

TEST_CASE("cpu quantities", "[api]") {
    CHECK(parseCpu("100m").value() == 100);
    CHECK(parseCpu("0.5").value() == 500);
    CHECK(parseCpu("2").value() == 2000);
    CHECK_FALSE(parseCpu("fast"));
    CHECK_FALSE(parseCpu("-1"));
    CHECK_FALSE(parseCpu("0m"));
    CHECK_FALSE(parseCpu("m"));
    CHECK_FALSE(parseCpu("1e17"));
    CHECK_FALSE(parseCpu("1e300m"));
}

TEST_CASE("qualified names split at the last dot", "[api]") {
    auto a = FunctionRef::parse("say", "openfaas-fn");
    CHECK(a.name == "say");
    CHECK(a.ns == "openfaas-fn");
    auto b = FunctionRef::parse("say.team", "openfaas-fn");
    CHECK(b.name == "say");
    CHECK(b.ns == "team");
    auto c = FunctionRef::parse("a.b.c", "openfaas-fn");
    CHECK(c.name == "a.b");
    CHECK(c.ns == "c");
}
