#include "gateway/tls.hpp"

#include <cstring>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>
#include <utility>

namespace faasd::gateway {
namespace {

// TLS 1.2's ECDHE suites with AEAD ciphers, the strongest first; TLS 1.3's
// suites are all of that kind and stay OpenSSL's.
constexpr const char* kTls12Ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
                                      "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
                                      "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

// OpenSSL's queued errors as one line ("no start line"), emptied.
std::string opensslErrors() {
    std::string text;
    while (unsigned long code = ERR_get_error()) {
        const char* reason = ERR_reason_error_string(code);
        if (!text.empty()) {
            text += "; ";
        }
        text += reason != nullptr ? reason : "unknown error";
    }
    return text.empty() ? "unknown error" : text;
}

Result<void> readable(const std::string& path, std::string_view what) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return fail(Code::InvalidArgument, "{} {}: {}", what, path, std::strerror(errno));
    }
    if (!S_ISREG(st.st_mode)) {
        return fail(Code::InvalidArgument, "{} {}: not a regular file", what, path);
    }
    return {};
}

// ALPN: the gateway speaks HTTP/1.1; a client offering only others goes on
// without ALPN rather than failing the handshake.
int selectHttp11(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                 unsigned inlen, void*) {
    static constexpr unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof kHttp11, in, inlen) !=
        OPENSSL_NPN_NEGOTIATED) {
        return SSL_TLSEXT_ERR_NOACK;
    }
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

} // namespace

Result<std::shared_ptr<ssl::context>> makeServerContext(const std::string& certFile,
                                                        const std::string& keyFile) {
    TRY(readable(certFile, "TLS certificate"));
    TRY(readable(keyFile, "TLS key"));
    ERR_clear_error();
    auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
    SSL_CTX* ctx = context->native_handle();
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
    // An idle keep-alive connection holds no read and write buffers.
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1) {
        return fail(Code::Internal, "setting the TLS ciphers: {}", opensslErrors());
    }
    SSL_CTX_set_alpn_select_cb(ctx, selectHttp11, nullptr);
    if (SSL_CTX_use_certificate_chain_file(ctx, certFile.c_str()) != 1) {
        return fail(Code::InvalidArgument, "TLS certificate {}: {}", certFile, opensslErrors());
    }
    if (SSL_CTX_use_PrivateKey_file(ctx, keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
        if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
            ERR_clear_error();
            return fail(Code::InvalidArgument, "TLS key {} does not match the certificate {}",
                        keyFile, certFile);
        }
        return fail(Code::InvalidArgument, "TLS key {}: {}", keyFile, opensslErrors());
    }
    if (SSL_CTX_check_private_key(ctx) != 1) {
        return fail(Code::InvalidArgument, "TLS key {} does not match the certificate {}: {}",
                    keyFile, certFile, opensslErrors());
    }
    return context;
}

TlsCertificates::TlsCertificates(std::string certFile, std::string keyFile)
    : certFile_(std::move(certFile)), keyFile_(std::move(keyFile)) {}

TlsCertificates::Stamp TlsCertificates::stampOf(const std::string& path) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return {};
    }
    return {.device = st.st_dev,
            .inode = st.st_ino,
            .size = st.st_size,
            .modifiedNs = int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

Result<void> TlsCertificates::reload() {
    // Stamped before reading: a change made while reading is seen next time.
    const Stamp cert = stampOf(certFile_);
    const Stamp key = stampOf(keyFile_);
    {
        std::lock_guard lock(mutex_);
        certRead_ = cert;
        keyRead_ = key;
    }
    TRY_ASSIGN(auto context, makeServerContext(certFile_, keyFile_));
    std::lock_guard lock(mutex_);
    context_ = std::move(context);
    return {};
}

Result<bool> TlsCertificates::reloadIfChanged() {
    {
        std::lock_guard lock(mutex_);
        if (stampOf(certFile_) == certRead_ && stampOf(keyFile_) == keyRead_) {
            return false;
        }
    }
    TRY(reload());
    return true;
}

std::shared_ptr<ssl::context> TlsCertificates::current() const {
    std::lock_guard lock(mutex_);
    return context_;
}

} // namespace faasd::gateway
