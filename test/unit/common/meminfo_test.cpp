#include "common/meminfo.hpp"

#include <catch2/catch.hpp>

using namespace faasd;

TEST_CASE("meminfo gives total and available bytes", "[common]") {
    auto m = parseMeminfo("MemTotal:       16384 kB\nMemFree:  100 kB\nMemAvailable:    8192 kB\n");
    REQUIRE(m);
    CHECK(m->totalBytes == 16384ull * 1024);
    CHECK(m->availableBytes == 8192ull * 1024);
    CHECK_FALSE(parseMeminfo("MemTotal: 1 kB\n"));
    CHECK_FALSE(parseMeminfo(""));
    CHECK(readMeminfo()); // this host's
}
