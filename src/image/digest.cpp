#include "image/digest.hpp"

#include <openssl/evp.h>

namespace faasd::image {

struct Sha256::State {
    EVP_MD_CTX* ctx = nullptr;
    ~State() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : state_(std::make_unique<State>()) {
    state_->ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(state_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() = default;
Sha256::Sha256(Sha256&&) noexcept = default;
Sha256& Sha256::operator=(Sha256&&) noexcept = default;

void Sha256::update(std::string_view data) {
    EVP_DigestUpdate(state_->ctx, data.data(), data.size());
}

std::string Sha256::digest() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(state_->ctx, md, &len);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "sha256:";
    for (unsigned int i = 0; i < len; ++i) {
        out += hex[md[i] >> 4];
        out += hex[md[i] & 0xf];
    }
    return out;
}

std::string sha256Digest(std::string_view data) {
    Sha256 h;
    h.update(data);
    return h.digest();
}

Result<void> validateDigest(std::string_view digest) {
    auto colon = digest.find(':');
    if (colon == std::string_view::npos) {
        return fail(Code::InvalidArgument, "invalid digest \"{}\": no algorithm", digest);
    }
    auto algo = digest.substr(0, colon);
    auto hex = digest.substr(colon + 1);
    size_t want = algo == "sha256" ? 64 : algo == "sha512" ? 128 : 0;
    if (want == 0) {
        return fail(Code::InvalidArgument, "invalid digest \"{}\": unsupported algorithm", digest);
    }
    if (hex.size() != want) {
        return fail(Code::InvalidArgument, "invalid digest \"{}\": want {} hex digits", digest,
                    want);
    }
    for (char c : hex) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return fail(Code::InvalidArgument, "invalid digest \"{}\": not lowercase hex", digest);
        }
    }
    return {};
}

} // namespace faasd::image
