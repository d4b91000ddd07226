#include "common/hmac.hpp"

#include <catch2/catch.hpp>

using namespace faasd;

namespace {

std::string bytes(size_t n, unsigned char value) {
    return std::string(n, static_cast<char>(value));
}

} // namespace

TEST_CASE("HMAC-SHA256 matches RFC 4231's test vectors", "[hmac]") {
    CHECK(hmacSha256Hex(bytes(20, 0x0b), "Hi There") ==
          "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    CHECK(hmacSha256Hex("Jefe", "what do ya want for nothing?") ==
          "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    CHECK(hmacSha256Hex(bytes(20, 0xaa), bytes(50, 0xdd)) ==
          "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
    std::string key4;
    for (int i = 1; i <= 25; ++i) {
        key4 += static_cast<char>(i);
    }
    CHECK(hmacSha256Hex(key4, bytes(50, 0xcd)) ==
          "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
    // Test case 5 checks the first 128 bits only.
    CHECK(hmacSha256Hex(bytes(20, 0x0c), "Test With Truncation").substr(0, 32) ==
          "a3b6167473100ee06e0c796c2955552b");
    CHECK(
        hmacSha256Hex(bytes(131, 0xaa), "Test Using Larger Than Block-Size Key - Hash Key First") ==
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
    CHECK(hmacSha256Hex(bytes(131, 0xaa),
                        "This is a test using a larger than block-size key and a larger than "
                        "block-size data. The key needs to be hashed before being used by the "
                        "HMAC algorithm.") ==
          "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

TEST_CASE("an empty key and an empty message are valid input", "[hmac]") {
    CHECK(hmacSha256Hex("", "") ==
          "b613679a0814d9ec772f95d778c35fc5ff1697c493715653c6c712144292c5ad");
}

TEST_CASE("the secret is trimmed of surrounding whitespace only", "[hmac]") {
    CHECK(trimSecret("  s3cret\n") == "s3cret");
    CHECK(trimSecret("\t\r\ns3 cret \r\n") == "s3 cret");
    CHECK(trimSecret("s3cret") == "s3cret");
    CHECK(trimSecret(" \n\t") == "");
    CHECK(trimSecret("") == "");
    // faas-cli signs with the trimmed file content: a newline at the end of
    // the file must not change the key.
    CHECK(hmacSha256Hex(trimSecret("key\n"), "body") == hmacSha256Hex("key", "body"));
}

TEST_CASE("a signature header is checked against the body", "[hmac]") {
    const std::string body = "a tar";
    const std::string good = "sha256=" + hmacSha256Hex("key", body);
    CHECK(verifySha256Signature("key", body, good));
    std::string upper = good;
    for (size_t i = 7; i < upper.size(); ++i) {
        upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    }
    CHECK(verifySha256Signature("key", body, upper));
    CHECK_FALSE(verifySha256Signature("other", body, good));
    CHECK_FALSE(verifySha256Signature("key", body + "x", good));
    CHECK_FALSE(verifySha256Signature("key", body, hmacSha256Hex("key", body)));
    CHECK_FALSE(verifySha256Signature("key", body, "sha1=" + hmacSha256Hex("key", body)));
    CHECK_FALSE(verifySha256Signature("key", body, good.substr(0, good.size() - 1)));
    CHECK_FALSE(verifySha256Signature("key", body, ""));
    CHECK_FALSE(verifySha256Signature("key", body, "sha256="));
}

TEST_CASE("constant-time comparison compares bytes and lengths", "[hmac]") {
    CHECK(constantTimeEquals("", ""));
    CHECK(constantTimeEquals("abc", "abc"));
    CHECK_FALSE(constantTimeEquals("abc", "abd"));
    CHECK_FALSE(constantTimeEquals("abc", "abcd"));
    CHECK_FALSE(constantTimeEquals("", "a"));
}
