#include "common/hmac.hpp"

#include <array>
#include <cstdlib>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace faasd {

std::string hmacSha256Hex(std::string_view key, std::string_view message) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
    unsigned int length = 0;
    // An empty key is valid HMAC; OpenSSL wants a non-null pointer for it.
    static const unsigned char kEmpty = 0;
    const void* keyData = key.empty() ? &kEmpty : static_cast<const void*>(key.data());
    if (HMAC(EVP_sha256(), keyData, static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac.data(),
             &length) == nullptr) {
        // Only an allocation failure inside OpenSSL gets here.
        std::abort();
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out;
    out.reserve(length * 2);
    for (unsigned int i = 0; i < length; ++i) {
        out += kHex[mac[i] >> 4];
        out += kHex[mac[i] & 0xf];
    }
    return out;
}

bool constantTimeEquals(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string_view trimSecret(std::string_view secret) {
    constexpr std::string_view kSpace = " \t\r\n\v\f";
    const size_t first = secret.find_first_not_of(kSpace);
    if (first == std::string_view::npos) {
        return {};
    }
    const size_t last = secret.find_last_not_of(kSpace);
    return secret.substr(first, last - first + 1);
}

bool verifySha256Signature(std::string_view key, std::string_view body, std::string_view header) {
    constexpr std::string_view kPrefix = "sha256=";
    if (header.substr(0, kPrefix.size()) != kPrefix) {
        return false;
    }
    std::string given(header.substr(kPrefix.size()));
    for (char& c : given) {
        if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return constantTimeEquals(given, hmacSha256Hex(key, body));
}

} // namespace faasd
