#include "common/base64.hpp"

#include <catch2/catch.hpp>

using namespace faasd;

TEST_CASE("base64 round-trips bytes", "[base64]") {
    CHECK(base64Encode("") == "");
    CHECK(base64Encode("f") == "Zg==");
    CHECK(base64Encode("fo") == "Zm8=");
    CHECK(base64Encode("foo") == "Zm9v");
    CHECK(base64Encode("admin:secret") == "YWRtaW46c2VjcmV0");
    std::string bytes;
    for (int i = 0; i < 256; ++i) {
        bytes += static_cast<char>(i);
    }
    CHECK(base64Decode(base64Encode(bytes)).value() == bytes);
    CHECK(base64Decode("Zm8").value() == "fo");
    CHECK_FALSE(base64Decode("Zm9v!"));
    CHECK_FALSE(base64Decode("Z"));
    CHECK(base64Decode("Zm8=").value() == "fo");
    CHECK(base64Decode("Zg==").value() == "f");
    // Padding only where it completes the last group of four.
    CHECK_FALSE(base64Decode("=="));
    CHECK_FALSE(base64Decode("="));
    CHECK_FALSE(base64Decode("Zm9v="));
    CHECK_FALSE(base64Decode("Zm8=="));
    CHECK_FALSE(base64Decode("Zg==="));
}
