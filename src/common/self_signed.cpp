#include "common/self_signed.hpp"

#include "common/files.hpp"

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <fmt/format.h>
#include <ifaddrs.h>
#include <memory>
#include <net/if.h>
#include <netinet/in.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <unistd.h>

namespace faasd {
namespace {

namespace fs = std::filesystem;

template <auto Free> struct Freer {
    template <typename T> void operator()(T* p) const { Free(p); }
};
using Key = std::unique_ptr<EVP_PKEY, Freer<EVP_PKEY_free>>;
using Cert = std::unique_ptr<X509, Freer<X509_free>>;
using Bio = std::unique_ptr<BIO, Freer<BIO_free>>;
using Extension = std::unique_ptr<X509_EXTENSION, Freer<X509_EXTENSION_free>>;

Error opensslError(std::string_view what) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
    return Error(Code::Internal,
                 fmt::format("{}: {}", what, reason != nullptr ? reason : "unknown error"));
}

Result<Key> newKey() {
    Key key(EVP_EC_gen("P-256"));
    if (!key) {
        return fail(opensslError("making a P-256 key"));
    }
    return key;
}

Result<void> addExtension(X509* cert, X509* issuer, int nid, const std::string& value) {
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    Extension ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
    if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
        return fail(opensslError(fmt::format("certificate extension {}", value)));
    }
    return {};
}

// A certificate for key, named commonName, signed by issuerKey as issuer;
// without an issuer, a CA signed by key itself. altNames: the server's
// subjectAltName ("DNS:localhost,IP:127.0.0.1").
Result<Cert> newCertificate(EVP_PKEY* key, const std::string& commonName, X509* issuer,
                            EVP_PKEY* issuerKey, const std::string& altNames,
                            std::chrono::hours validFor) {
    Cert cert(X509_new());
    std::array<unsigned char, 16> serial{};
    if (!cert || RAND_bytes(serial.data(), serial.size()) != 1) {
        return fail(opensslError("making a certificate"));
    }
    serial[0] &= 0x7f; // positive
    BIGNUM* bn = BN_bin2bn(serial.data(), serial.size(), nullptr);
    const bool serialSet =
        bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr;
    BN_free(bn);
    X509_NAME* name = X509_get_subject_name(cert.get());
    const auto* cn = reinterpret_cast<const unsigned char*>(commonName.c_str());
    if (!serialSet || X509_set_version(cert.get(), 2) != 1 ||
        X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) == nullptr ||
        X509_gmtime_adj(X509_getm_notAfter(cert.get()),
                        std::chrono::duration_cast<std::chrono::seconds>(validFor).count()) ==
            nullptr ||
        X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   reinterpret_cast<const unsigned char*>("faasd"), -1, -1,
                                   0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) != 1 ||
        X509_set_issuer_name(cert.get(),
                             issuer != nullptr ? X509_get_subject_name(issuer) : name) != 1 ||
        X509_set_pubkey(cert.get(), key) != 1) {
        return fail(opensslError("making a certificate"));
    }
    X509* signer = issuer != nullptr ? issuer : cert.get();
    if (issuer == nullptr) {
        TRY(addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:TRUE,pathlen:0"));
        TRY(addExtension(cert.get(), signer, NID_key_usage, "critical,keyCertSign,cRLSign"));
    } else {
        TRY(addExtension(cert.get(), signer, NID_basic_constraints, "critical,CA:FALSE"));
        TRY(addExtension(cert.get(), signer, NID_key_usage, "critical,digitalSignature"));
        TRY(addExtension(cert.get(), signer, NID_ext_key_usage, "serverAuth"));
        TRY(addExtension(cert.get(), signer, NID_subject_alt_name, altNames));
    }
    TRY(addExtension(cert.get(), signer, NID_subject_key_identifier, "hash"));
    if (issuer != nullptr) {
        TRY(addExtension(cert.get(), signer, NID_authority_key_identifier, "keyid:always"));
    }
    if (X509_sign(cert.get(), issuerKey != nullptr ? issuerKey : key, EVP_sha256()) == 0) {
        return fail(opensslError("signing a certificate"));
    }
    return cert;
}

std::string drain(BIO* bio) {
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    return std::string(data, n > 0 ? static_cast<size_t>(n) : 0);
}

Result<std::string> certPem(X509* cert) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) {
        return fail(opensslError("writing a certificate"));
    }
    return drain(bio.get());
}

Result<std::string> keyPem(EVP_PKEY* key) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!bio ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
        return fail(opensslError("writing a key"));
    }
    return drain(bio.get());
}

} // namespace

Result<SelfSigned> makeSelfSigned(const SelfSignedRequest& request) {
    if (request.dnsNames.empty() && request.addresses.empty()) {
        return fail(Code::InvalidArgument, "a certificate needs at least one name or address");
    }
    std::string names;
    for (const auto& dns : request.dnsNames) {
        names += (names.empty() ? "DNS:" : ",DNS:") + dns;
    }
    for (const auto& address : request.addresses) {
        names += (names.empty() ? "IP:" : ",IP:") + address;
    }
    TRY_ASSIGN(auto caKey, newKey());
    TRY_ASSIGN(auto ca, newCertificate(caKey.get(), "faasd CA for " + hostName(), nullptr, nullptr,
                                       "", request.validFor));
    TRY_ASSIGN(auto key, newKey());
    const std::string cn =
        !request.dnsNames.empty() ? request.dnsNames.front() : request.addresses.front();
    TRY_ASSIGN(auto cert,
               newCertificate(key.get(), cn, ca.get(), caKey.get(), names, request.validFor));
    SelfSigned out;
    TRY_ASSIGN(out.caPem, certPem(ca.get()));
    TRY_ASSIGN(out.certPem, certPem(cert.get()));
    TRY_ASSIGN(out.keyPem, keyPem(key.get()));
    return out;
}

Result<TlsFiles> ensureSelfSigned(const fs::path& dir, const SelfSignedRequest& request) {
    TlsFiles files{.ca = dir / "ca.pem", .cert = dir / "cert.pem", .key = dir / "key.pem"};
    std::error_code ec;
    if (fs::exists(files.cert, ec) && fs::exists(files.key, ec)) {
        return files;
    }
    TRY_ASSIGN(auto made, makeSelfSigned(request));
    fs::create_directories(dir, ec);
    if (ec) {
        return fail(Code::Internal, "creating {}: {}", dir.string(), ec.message());
    }
    // The key first: a certificate is never there without its key.
    TRY(writeFileAtomic(files.key, made.keyPem, 0600));
    TRY(writeFileAtomic(files.ca, made.caPem, 0644));
    TRY(writeFileAtomic(files.cert, made.certPem, 0644));
    files.created = true;
    return files;
}

SelfSignedRequest thisMachine() {
    SelfSignedRequest request;
    request.dnsNames.emplace_back("localhost");
    if (auto host = hostName(); host != "localhost") {
        request.dnsNames.push_back(host);
    }
    request.addresses = {"127.0.0.1", "::1"};
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0) {
        return request;
    }
    for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
        if (a->ifa_addr == nullptr || (a->ifa_flags & IFF_UP) == 0 ||
            (a->ifa_flags & IFF_LOOPBACK) != 0) {
            continue;
        }
        std::array<char, INET6_ADDRSTRLEN> text{};
        if (a->ifa_addr->sa_family == AF_INET) {
            const auto* in = reinterpret_cast<const sockaddr_in*>(a->ifa_addr);
            ::inet_ntop(AF_INET, &in->sin_addr, text.data(), text.size());
        } else if (a->ifa_addr->sa_family == AF_INET6) {
            const auto* in6 = reinterpret_cast<const sockaddr_in6*>(a->ifa_addr);
            if (IN6_IS_ADDR_LINKLOCAL(&in6->sin6_addr)) {
                continue;
            }
            ::inet_ntop(AF_INET6, &in6->sin6_addr, text.data(), text.size());
        } else {
            continue;
        }
        if (text[0] != '\0' && std::find(request.addresses.begin(), request.addresses.end(),
                                         text.data()) == request.addresses.end()) {
            request.addresses.emplace_back(text.data());
        }
    }
    ::freeifaddrs(list);
    return request;
}

} // namespace faasd
