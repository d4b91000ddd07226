#pragma once

// Where POST /build goes: the function builder API (faas-cli's
// --remote-builder). The daemon plugs in an implementation; without one the
// route answers 404. The request's HMAC signature is the authentication,
// so the route takes no basic auth: the builder checks it.

#include <optional>
#include <string>
#include <string_view>

namespace faasd::gateway {

struct BuildCall {
    std::string_view body;                // the tar, whole
    std::optional<std::string> signature; // X-Build-Signature, when sent
    std::string accept;                   // Accept, "" when absent
};

struct BuildAnswer {
    unsigned status = 200; // HTTP status
    std::string contentType = "application/json";
    std::string body;
};

class FunctionBuilder {
public:
    virtual ~FunctionBuilder() = default;

    // Blocking for as long as the build (seconds to minutes); called on the
    // gateway's blocking pool, with no deadline while it runs.
    virtual BuildAnswer build(const BuildCall& call) = 0;
};

} // namespace faasd::gateway
