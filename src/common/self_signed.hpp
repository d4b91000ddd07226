#pragma once

// A certificate for a first try of HTTPS (`faasd install --self-signed`). A
// small CA of its own signs a server certificate for this machine's names
// and addresses; clients trust the CA (`--tls-ca`), or skip the check.

#include "common/error.hpp"

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace faasd {

struct SelfSignedRequest {
    std::vector<std::string> dnsNames;  // localhost, the host name, ...
    std::vector<std::string> addresses; // 127.0.0.1, ::1, ...
    std::chrono::hours validFor{24 * 365};
};

struct SelfSigned {
    std::string caPem;   // the CA's certificate (its key is not kept)
    std::string certPem; // the server's, signed by the CA
    std::string keyPem;  // the server's private key (PKCS#8)
};

// P-256 keys, SHA-256 signatures.
Result<SelfSigned> makeSelfSigned(const SelfSignedRequest& request);

struct TlsFiles {
    std::filesystem::path ca, cert, key;
    bool created = false; // false: they were there already and are kept
};

// dir/ca.pem, dir/cert.pem and dir/key.pem (0600), made unless cert.pem and
// key.pem are there already.
Result<TlsFiles> ensureSelfSigned(const std::filesystem::path& dir,
                                  const SelfSignedRequest& request);

// localhost and the host name; 127.0.0.1, ::1 and the addresses of the
// interfaces that are up (not link-local ones).
SelfSignedRequest thisMachine();

} // namespace faasd
