#pragma once

// An HTTP client for one repository on one registry endpoint: requests
// with timeouts, the registry's authentication dance (anonymous, basic, or
// bearer tokens from the realm a 401 names), streamed request and response
// bodies, and redirects followed only where asked (blob downloads, which
// registries hand to object storage), without credentials across hosts.

#include "common/error.hpp"
#include "image/auth.hpp"
#include "image/registry.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace faasd::image {

struct Url {
    std::string scheme; // "http", "https"
    std::string host;   // "host" or "host:port"
    std::string target; // "/path?query"
    std::string origin() const { return scheme + "://" + host; }
};

// Parses an absolute http(s) URL.
Result<Url> parseUrl(std::string_view text);
// Resolves a Location header against the URL it came from.
Result<Url> resolveUrl(const Url& base, std::string_view location);
// Percent-encodes a query component.
std::string urlEncode(std::string_view text);

// Consumes a streamed body; an error stops the transfer.
using BodySink = std::function<Result<void>(std::string_view)>;

// A request body read on demand: read(offset, length, sink) passes the
// bytes [offset, offset + length) to sink, in one or more pieces.
struct BodySource {
    int64_t size = 0;
    std::function<Result<void>(int64_t offset, int64_t length, const BodySink& sink)> read;
};

struct HttpRequest {
    std::string method = "GET"; // GET, HEAD, POST, PUT
    std::string target;         // "/v2/..." on the endpoint, or an absolute URL
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body; // used when source is null
    std::string contentType;
    const BodySource* source = nullptr;
    // Receives the body of a 2xx answer (else it lands in HttpResponse::body).
    const BodySink* sink = nullptr;
    bool followRedirects = false;
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers; // lowercase names
    std::string body;                           // capped; empty when streamed
    Url url;                                    // where the answer came from
    std::string header(const std::string& lowercaseName) const;
};

// The registry's error text from a JSON error body ({"errors":[{code,message}]}),
// or the status alone.
std::string registryError(const HttpResponse& response);

class RegistryClient {
public:
    // actions: the repository scope to ask tokens for: "pull" or "pull,push".
    RegistryClient(Endpoint endpoint, std::string repository, std::string actions,
                   std::optional<Credentials> credentials, std::chrono::milliseconds timeout);
    ~RegistryClient();
    RegistryClient(RegistryClient&&) noexcept;
    RegistryClient& operator=(RegistryClient&&) noexcept;

    const Endpoint& endpoint() const;

    // Sends a request, answering an authentication challenge once. A
    // registry that cannot be reached is Code::Unavailable naming its host;
    // 401/403 after authenticating is Code::PermissionDenied. Any other
    // status is returned for the caller to judge.
    Result<HttpResponse> send(const HttpRequest& request);

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace faasd::image
