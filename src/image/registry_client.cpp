#include "image/registry_client.hpp"

#include "common/log.hpp"
#include "common/strings.hpp"

#include <algorithm>
#include <filesystem>
#include <httplib.h>

namespace faasd::image {
namespace {

const Logger kRegistryLog("registry");

// Bodies kept in memory (manifests, errors, tokens); blobs are streamed.
constexpr size_t kMaxBody = 8 << 20;
constexpr int kMaxRedirects = 5;
constexpr const char* kCaBundle = "/etc/ssl/certs/ca-certificates.crt";

bool isRedirect(int status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

} // namespace

struct RegistryClient::Impl {
    Endpoint endpoint;
    std::string repository;
    std::string actions;
    std::optional<Credentials> credentials;
    std::chrono::milliseconds timeout;
    std::string authorization; // the Authorization header value, once known
    std::map<std::string, std::unique_ptr<httplib::Client>> clients;

    httplib::Client& client(const Url& url) {
        auto& slot = clients[url.origin()];
        if (!slot) {
            slot = std::make_unique<httplib::Client>(url.origin());
            auto connect = std::min(timeout, std::chrono::milliseconds(30'000));
            slot->set_connection_timeout(connect);
            slot->set_read_timeout(timeout);
            slot->set_write_timeout(timeout);
            slot->set_follow_location(false);
            slot->set_keep_alive(true);
            if (url.scheme == "https") {
                std::error_code ec;
                if (std::filesystem::exists(kCaBundle, ec)) {
                    slot->set_ca_cert_path(kCaBundle);
                }
                slot->enable_server_certificate_verification(true);
            }
        }
        return *slot;
    }

    Result<HttpResponse> once(const HttpRequest& req, const Url& url, bool withAuth);
    Result<void> authenticate(const HttpResponse& challenge);
    Result<std::string> fetchToken(const Challenge& challenge);
};

Result<HttpResponse> RegistryClient::Impl::once(const HttpRequest& req, const Url& url,
                                                bool withAuth) {
    httplib::Headers headers;
    for (const auto& [k, v] : req.headers) {
        headers.emplace(k, v);
    }
    if (withAuth && !authorization.empty()) {
        headers.emplace("Authorization", authorization);
    }
    auto& cli = client(url);
    HttpResponse out;
    out.url = url;
    std::optional<Error> sinkError;
    bool streaming = false;

    auto onHeaders = [&](const httplib::Response& r) {
        out.status = r.status;
        streaming = req.sink != nullptr && r.status >= 200 && r.status < 300;
        return true;
    };
    auto onBody = [&](const char* data, size_t n) {
        if (streaming) {
            if (auto r = (*req.sink)(std::string_view(data, n)); !r) {
                sinkError = std::move(r).error();
                return false;
            }
        } else if (out.body.size() + n > kMaxBody) {
            sinkError = Error(Code::ResourceExhausted,
                              fmt::format("{} {}: the answer is larger than {} bytes", req.method,
                                          url.target, kMaxBody));
            return false;
        } else {
            out.body.append(data, n);
        }
        return true;
    };
    auto provider = [&](size_t offset, size_t length, httplib::DataSink& sink) {
        BodySink forward = [&](std::string_view chunk) -> Result<void> {
            if (!sink.write(chunk.data(), chunk.size())) {
                return fail(Code::Unavailable, "the connection closed while sending");
            }
            return {};
        };
        auto r =
            req.source->read(static_cast<int64_t>(offset), static_cast<int64_t>(length), forward);
        if (!r) {
            sinkError = std::move(r).error();
            return false;
        }
        return true;
    };

    httplib::Result res{nullptr, httplib::Error::Unknown};
    try {
        if (req.method == "GET") {
            res = cli.Get(url.target, headers, onHeaders, onBody);
        } else if (req.method == "HEAD") {
            res = cli.Head(url.target, headers);
        } else if (req.method == "POST") {
            res = cli.Post(url.target, headers, req.body, req.contentType);
        } else if (req.method == "PUT" && req.source != nullptr) {
            res = cli.Put(url.target, headers, static_cast<size_t>(req.source->size), provider,
                          req.contentType);
        } else if (req.method == "PUT") {
            res = cli.Put(url.target, headers, req.body, req.contentType);
        } else {
            return fail(Code::InvalidArgument, "HTTP method {} is not supported", req.method);
        }
    } catch (const std::exception& e) {
        return fail(Code::Internal, "{} {}{}: {}", req.method, url.origin(), url.target, e.what());
    }
    if (sinkError) {
        return fail(std::move(*sinkError));
    }
    if (!res) {
        return fail(Code::Unavailable, "registry {} is unreachable: {}", url.host,
                    httplib::to_string(res.error()));
    }
    out.status = res->status;
    for (const auto& [k, v] : res->headers) {
        out.headers.emplace(asciiLower(k), v);
    }
    if (req.sink == nullptr && req.method != "GET") {
        out.body = res->body.substr(0, kMaxBody);
    }
    return out;
}

Result<std::string> RegistryClient::Impl::fetchToken(const Challenge& challenge) {
    auto realm = challenge.params.find("realm");
    if (realm == challenge.params.end()) {
        return fail(Code::PermissionDenied, "registry {} asks for a token without a realm",
                    endpoint.host);
    }
    TRY_ASSIGN(auto url, parseUrl(realm->second));
    std::string query;
    auto add = [&](std::string_view k, std::string_view v) {
        query += (query.empty() ? "" : "&") + std::string(k) + "=" + urlEncode(v);
    };
    if (auto s = challenge.params.find("service"); s != challenge.params.end()) {
        add("service", s->second);
    }
    const std::string ours = fmt::format("repository:{}:{}", repository, actions);
    add("scope", ours);
    if (auto s = challenge.params.find("scope"); s != challenge.params.end() && s->second != ours) {
        add("scope", s->second);
    }
    url.target += (url.target.find('?') == std::string::npos ? "?" : "&") + query;

    HttpRequest req{.method = "GET", .target = url.target};
    if (credentials) {
        req.headers.emplace_back("Authorization", basicAuthorization(*credentials));
    }
    TRY_ASSIGN(auto res, once(req, url, false));
    if (res.status == 401 || res.status == 403) {
        return fail(Code::PermissionDenied, "token server {} refused {}: {}", url.host,
                    credentials ? "user " + credentials->username : "anonymous access",
                    registryError(res));
    }
    if (res.status != 200) {
        return fail(Code::Unavailable, "token server {}: {}", url.host, registryError(res));
    }
    std::string token = tokenFromAnswer(res.body);
    if (token.empty()) {
        return fail(Code::PermissionDenied, "token server {} answered without a token", url.host);
    }
    return token;
}

Result<void> RegistryClient::Impl::authenticate(const HttpResponse& unauthorized) {
    auto challenges = parseWwwAuthenticate(unauthorized.header("www-authenticate"));
    auto pick = [&](std::string_view scheme) {
        return std::find_if(challenges.begin(), challenges.end(),
                            [&](const Challenge& c) { return c.scheme == scheme; });
    };
    if (auto bearer = pick("bearer"); bearer != challenges.end()) {
        TRY_ASSIGN(auto token, fetchToken(*bearer));
        authorization = "Bearer " + token;
        return {};
    }
    if (pick("basic") != challenges.end()) {
        if (!credentials) {
            return fail(Code::PermissionDenied,
                        "registry {} requires credentials and none are configured for it",
                        endpoint.host);
        }
        authorization = basicAuthorization(*credentials);
        return {};
    }
    return fail(Code::PermissionDenied, "registry {} refused the request: {}", endpoint.host,
                registryError(unauthorized));
}

RegistryClient::RegistryClient(Endpoint endpoint, std::string repository, std::string actions,
                               std::optional<Credentials> credentials,
                               std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
    impl_->endpoint = std::move(endpoint);
    impl_->repository = std::move(repository);
    impl_->actions = std::move(actions);
    impl_->credentials = std::move(credentials);
    impl_->timeout = timeout;
}

RegistryClient::~RegistryClient() = default;
RegistryClient::RegistryClient(RegistryClient&&) noexcept = default;
RegistryClient& RegistryClient::operator=(RegistryClient&&) noexcept = default;

const Endpoint& RegistryClient::endpoint() const {
    return impl_->endpoint;
}

Result<HttpResponse> RegistryClient::send(const HttpRequest& request) {
    Url url;
    if (request.target.find("://") != std::string::npos) {
        TRY_ASSIGN(url, parseUrl(request.target));
    } else {
        url = Url{impl_->endpoint.scheme, impl_->endpoint.host, request.target};
    }
    const std::string home = impl_->endpoint.origin();
    bool authenticated = false;
    for (int hop = 0;;) {
        // Credentials go only to the registry itself, never to where it redirects.
        const bool ours = url.origin() == home;
        TRY_ASSIGN(auto res, impl_->once(request, url, ours));
        kRegistryLog.debug("{} {}{} -> {}", request.method, url.origin(), url.target, res.status);
        if (ours && res.status == 401 && !authenticated) {
            TRY(impl_->authenticate(res));
            authenticated = true;
            continue;
        }
        if (res.status == 401 || res.status == 403) {
            return fail(Code::PermissionDenied, "registry {} denied {} {}: {}", url.host,
                        request.method, url.target.substr(0, url.target.find('?')),
                        registryError(res));
        }
        if (request.followRedirects && isRedirect(res.status)) {
            if (++hop > kMaxRedirects) {
                return fail(Code::Unavailable, "registry {}: too many redirects", url.host);
            }
            TRY_ASSIGN(url, resolveUrl(url, res.header("location")));
            continue;
        }
        return res;
    }
}

} // namespace faasd::image
