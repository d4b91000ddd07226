#include "common/error.hpp"

#include <catch2/catch.hpp>

using namespace faasd;

namespace {

Result<int> parsePositive(int v) {
    if (v <= 0) {
        return fail(Code::InvalidArgument, "{} is not positive", v);
    }
    return v;
}

Result<int> doubled(int v) {
    TRY_ASSIGN(int x, parsePositive(v));
    return x * 2;
}

Result<void> check(int v) {
    TRY(withContext(parsePositive(v), "checking"));
    return {};
}

} // namespace

TEST_CASE("Result carries values and errors", "[error]") {
    REQUIRE(doubled(3).value() == 6);
    auto bad = doubled(-1);
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::InvalidArgument);
    CHECK(bad.error().message() == "-1 is not positive");
}

TEST_CASE("context is prepended as errors rise", "[error]") {
    auto r = check(0);
    REQUIRE_FALSE(r);
    CHECK(r.error().message() == "checking: 0 is not positive");
    auto e = Error(Code::NotFound, "x").context("b").context("a");
    CHECK(e.message() == "a: b: x");
    CHECK(e.code() == Code::NotFound);
}

TEST_CASE("system errors map errno to codes", "[error]") {
    CHECK(systemError("open /x", ENOENT).code() == Code::NotFound);
    CHECK(systemError("mkdir /x", EEXIST).code() == Code::AlreadyExists);
    CHECK(systemError("connect", ECONNREFUSED).code() == Code::Unavailable);
    CHECK(systemError("open /x", ENOENT).message() == "open /x: No such file or directory");
}
