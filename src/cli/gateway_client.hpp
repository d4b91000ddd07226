#pragma once

// A small client of an OpenFaaS gateway's REST API (cpp-httplib), shared by
// the client verbs. It adds basic auth when credentials are known, and turns
// transport failures and error answers into one-line errors.

#include "cli/client_config.hpp"
#include "common/error.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faasd::cli {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

struct GatewayCall {
    std::string method = "GET";
    std::string path; // "/system/functions"; percent-encoded by the caller when needed
    KeyValues query;  // encoded here
    KeyValues headers;
    std::string body;
    std::string contentType;
    // When set, a 2xx answer's body is passed here as it arrives instead of
    // being collected; returning false stops reading.
    std::function<bool(std::string_view)> onBody;
    std::chrono::seconds readTimeout{120};
};

struct GatewayAnswer {
    int status = 0;
    std::string body;
    std::multimap<std::string, std::string> headers; // names lower-cased

    bool ok() const { return status >= 200 && status < 300; }
    std::string header(std::string_view name) const;
};

struct GatewayOptions {
    std::string url; // normalised
    std::optional<Credentials> credentials;
    bool tlsVerify = true;
    std::string caFile; // CA certificates to trust (PEM); empty: the system's
    std::chrono::seconds connectTimeout{5};
};

class GatewayClient {
public:
    explicit GatewayClient(GatewayOptions options);
    ~GatewayClient();
    GatewayClient(GatewayClient&&) noexcept;
    GatewayClient& operator=(GatewayClient&&) = delete;

    // Sends one request. Unavailable when the gateway does not answer;
    // any HTTP status is a successful Result.
    Result<GatewayAnswer> send(const GatewayCall& call);

    const std::string& url() const { return options_.url; }
    bool hasCredentials() const { return options_.credentials.has_value(); }

private:
    struct Impl;
    GatewayOptions options_;
    std::unique_ptr<Impl> impl_;
};

// The error for an answer that is not 2xx: "what: reason (status)". 401 says
// to run `faasd login`; the gateway's own message is kept on one line.
Error answerError(const GatewayAnswer& answer, std::string_view what, std::string_view gateway);

// Percent-encodes a path segment or query component (RFC 3986 unreserved
// characters stay as they are).
std::string percentEncode(std::string_view text);

// "k=v" -> {"k","v"}; no '=' is InvalidArgument naming flag.
Result<std::pair<std::string, std::string>> splitKeyValue(std::string_view text,
                                                          std::string_view flag);

} // namespace faasd::cli
