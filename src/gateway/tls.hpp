#pragma once

// TLS at the gateway: a server context built from PEM files with modern
// settings only (TLS 1.2 and 1.3, ECDHE with AEAD ciphers), replaced whole
// when the files change or on reload(). A connection keeps the context it
// began with, so replacing one drops nothing.

#include "common/error.hpp"

#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <mutex>
#include <string>
#include <sys/types.h>

namespace faasd::gateway {

namespace ssl = boost::asio::ssl;

// The context for a certificate chain and its key; errors name the file
// and what is wrong with it.
Result<std::shared_ptr<ssl::context>> makeServerContext(const std::string& certFile,
                                                        const std::string& keyFile);

class TlsCertificates {
public:
    TlsCertificates(std::string certFile, std::string keyFile);

    // Reads the files (again); an error keeps the context in use.
    Result<void> reload();
    // reload() when either file changed since it was last read; true when
    // a new context is in use. A pair that fails to load is tried again
    // only once a file changes again (a certificate written before its key).
    Result<bool> reloadIfChanged();
    // The context new connections take; null before a successful load.
    std::shared_ptr<ssl::context> current() const;

private:
    // What tells a file changed: its identity, size and modification time.
    struct Stamp {
        dev_t device = 0;
        ino_t inode = 0;
        off_t size = -1;
        int64_t modifiedNs = 0;
        bool operator==(const Stamp&) const = default;
    };
    static Stamp stampOf(const std::string& path);

    std::string certFile_;
    std::string keyFile_;
    mutable std::mutex mutex_;
    std::shared_ptr<ssl::context> context_;
    Stamp certRead_;
    Stamp keyRead_;
};

} // namespace faasd::gateway
