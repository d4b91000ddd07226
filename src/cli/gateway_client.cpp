#include "cli/gateway_client.hpp"

#include <algorithm>
#include <cctype>
#include <httplib.h>

namespace faasd::cli {

namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    return out;
}

// "http://host:port/base" -> {"http://host:port", "/base"}.
std::pair<std::string, std::string> splitUrl(const std::string& url) {
    auto scheme = url.find("://");
    auto start = scheme == std::string::npos ? 0 : scheme + 3;
    auto slash = url.find('/', start);
    if (slash == std::string::npos) {
        return {url, ""};
    }
    std::string base = url.substr(slash);
    while (!base.empty() && base.back() == '/') {
        base.pop_back();
    }
    return {url.substr(0, slash), base};
}

std::string firstLine(std::string_view text) {
    auto start = text.find_first_not_of(" \t\r\n");
    if (start == std::string_view::npos) {
        return {};
    }
    text = text.substr(start);
    auto end = text.find_first_of("\r\n");
    std::string line(text.substr(0, end));
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) {
        line.pop_back();
    }
    if (line.size() > 300) {
        line = line.substr(0, 300) + "...";
    }
    return line;
}

std::string describe(httplib::Error error) {
    switch (error) {
    case httplib::Error::Connection:
        return "connection refused or no route to it";
    case httplib::Error::ConnectionTimeout:
        return "connecting timed out";
    case httplib::Error::Read:
        return "the connection broke or timed out while reading the answer";
    case httplib::Error::Write:
        return "the connection broke while sending";
    case httplib::Error::SSLConnection:
        return "TLS handshake failed";
    case httplib::Error::SSLServerVerification:
        return "its TLS certificate is not trusted (--tls-no-verify skips the check)";
    case httplib::Error::BindIPAddress:
    default:
        return httplib::to_string(error);
    }
}

} // namespace

std::string GatewayAnswer::header(std::string_view name) const {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string() : it->second;
}

struct GatewayClient::Impl {
    std::string base;
    std::unique_ptr<httplib::Client> client;
};

GatewayClient::GatewayClient(GatewayOptions options)
    : options_(std::move(options)), impl_(std::make_unique<Impl>()) {
    auto [origin, base] = splitUrl(options_.url);
    impl_->base = base;
    impl_->client = std::make_unique<httplib::Client>(origin);
    impl_->client->set_url_encode(false);
    impl_->client->set_connection_timeout(options_.connectTimeout);
    impl_->client->set_tcp_nodelay(true);
    impl_->client->set_follow_location(false);
    if (options_.credentials) {
        impl_->client->set_basic_auth(options_.credentials->user, options_.credentials->password);
    }
    if (!options_.tlsVerify) {
        impl_->client->enable_server_certificate_verification(false);
    } else if (!options_.caFile.empty()) {
        impl_->client->set_ca_cert_path(options_.caFile.c_str());
    }
}

GatewayClient::~GatewayClient() = default;
GatewayClient::GatewayClient(GatewayClient&&) noexcept = default;

Result<GatewayAnswer> GatewayClient::send(const GatewayCall& call) {
    httplib::Request req;
    req.method = call.method;
    req.path = impl_->base + call.path;
    char sep = call.path.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [k, v] : call.query) {
        req.path += sep;
        req.path += percentEncode(k);
        req.path += '=';
        req.path += percentEncode(v);
        sep = '&';
    }
    for (const auto& [k, v] : call.headers) {
        req.headers.emplace(k, v);
    }
    if (!call.contentType.empty()) {
        req.headers.emplace("Content-Type", call.contentType);
    }
    req.body = call.body;
    if (!call.body.empty() || call.method == "POST" || call.method == "PUT") {
        req.headers.emplace("Content-Length", std::to_string(call.body.size()));
    }

    GatewayAnswer answer;
    bool streaming = false;
    req.response_handler = [&](const httplib::Response& r) {
        answer.status = r.status;
        streaming = call.onBody && r.status >= 200 && r.status < 300;
        return true;
    };
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
        if (streaming) {
            return call.onBody(std::string_view(data, n));
        }
        answer.body.append(data, n);
        return true;
    };
    impl_->client->set_read_timeout(call.readTimeout);

    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    bool sent = false;
    try {
        sent = impl_->client->send(req, res, error);
    } catch (const std::exception& e) {
        return fail(Code::Internal, "{} {}: {}", call.method, options_.url, e.what());
    }
    if (!sent) {
        if (error == httplib::Error::Canceled && answer.status != 0) {
            // The body sink stopped reading: the caller has what it wanted.
        } else if (error == httplib::Error::Read && answer.status != 0 && streaming) {
            return fail(Code::Unavailable, "the gateway at {} closed the stream: {}", options_.url,
                        describe(error));
        } else {
            return fail(Code::Unavailable, "cannot reach the gateway at {}: {}", options_.url,
                        describe(error));
        }
    }
    if (sent) {
        answer.status = res.status;
    }
    for (const auto& [k, v] : res.headers) {
        answer.headers.emplace(lower(k), v);
    }
    return answer;
}

Error answerError(const GatewayAnswer& answer, std::string_view what, std::string_view gateway) {
    std::string reason = firstLine(answer.body);
    if (answer.status == 401) {
        return Error(Code::PermissionDenied,
                     fmt::format("{}: unauthorized (401): run `faasd login -g {}`", what, gateway));
    }
    if ((answer.status == 301 || answer.status == 308) &&
        answer.header("location").rfind("https://", 0) == 0 && gateway.rfind("http://", 0) == 0) {
        return Error(Code::FailedPrecondition,
                     fmt::format("{}: the gateway speaks HTTPS ({}): use -g https://{}", what,
                                 answer.status, gateway.substr(7)));
    }
    if (reason.empty()) {
        reason = answer.status == 404 ? "not found" : "no reason given";
    }
    Code code = Code::Internal;
    switch (answer.status) {
    case 400:
    case 422:
        code = Code::InvalidArgument;
        break;
    case 403:
        code = Code::PermissionDenied;
        break;
    case 404:
        code = Code::NotFound;
        break;
    case 409:
        code = Code::AlreadyExists;
        break;
    case 429:
        code = Code::ResourceExhausted;
        break;
    case 501:
        code = Code::Unimplemented;
        break;
    case 502:
    case 503:
        code = Code::Unavailable;
        break;
    case 504:
        code = Code::Timeout;
        break;
    default:
        break;
    }
    return Error(code, fmt::format("{}: {} ({})", what, reason, answer.status));
}

std::string percentEncode(std::string_view text) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 15];
        }
    }
    return out;
}

Result<std::pair<std::string, std::string>> splitKeyValue(std::string_view text,
                                                          std::string_view flag) {
    auto eq = text.find('=');
    if (eq == std::string_view::npos || eq == 0) {
        return fail(Code::InvalidArgument, "{} \"{}\": expected KEY=VALUE", flag, text);
    }
    return std::pair<std::string, std::string>(std::string(text.substr(0, eq)),
                                               std::string(text.substr(eq + 1)));
}

} // namespace faasd::cli
