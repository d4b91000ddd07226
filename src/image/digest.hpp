#pragma once

// OCI content digests ("sha256:<64 hex>").

#include "common/error.hpp"

#include <memory>
#include <string>
#include <string_view>

namespace faasd::image {

// Incremental SHA-256.
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(Sha256&&) noexcept;
    Sha256& operator=(Sha256&&) noexcept;

    void update(std::string_view data);
    // "sha256:<hex>"; the hasher cannot be updated afterwards.
    std::string digest();

private:
    struct State;
    std::unique_ptr<State> state_;
};

std::string sha256Digest(std::string_view data);

// Checks the form "sha256:<64 lowercase hex>" (the only algorithm faasd
// writes; sha512 digests are accepted when reading).
Result<void> validateDigest(std::string_view digest);

} // namespace faasd::image
