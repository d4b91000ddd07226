#include "watchdog/http_message.hpp"

#include "common/http_headers.hpp"

namespace faasd::watchdog {

bool isPerHop(std::string_view name) {
    return isHopByHop(name) || iequals(name, "content-length");
}

std::string_view reasonPhrase(int status) {
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 206:
        return "Partial Content";
    case 301:
        return "Moved Permanently";
    case 302:
        return "Found";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    default:
        return "Status";
    }
}

void MessageHead::clear() {
    arena_.clear();
    fields_.clear();
    method_ = {};
    target_ = {};
    status_ = 0;
    version_ = 11;
    contentLength.reset();
    chunked = false;
    keepAlive = true;
}

MessageHead::Span MessageHead::store(std::string_view text) {
    Span span{static_cast<uint32_t>(arena_.size()), static_cast<uint32_t>(text.size())};
    arena_.append(text);
    return span;
}

void MessageHead::addField(std::string_view name, std::string_view value) {
    FieldSpan f;
    f.name = store(name);
    f.value = store(value);
    fields_.push_back(f);
}

MessageHead::Field MessageHead::field(size_t i) const {
    return {view(fields_[i].name), view(fields_[i].value)};
}

std::optional<std::string_view> MessageHead::find(std::string_view name) const {
    for (const FieldSpan& f : fields_) {
        if (f.name.length == name.size() && iequals(view(f.name), name)) {
            return view(f.value);
        }
    }
    return std::nullopt;
}

void MessageHead::setRequestLine(std::string_view method, std::string_view target, int version) {
    method_ = store(method);
    target_ = store(target);
    version_ = version;
}

void MessageHead::setStatusLine(int status, int version) {
    status_ = status;
    version_ = version;
}

std::string_view MessageHead::path() const {
    std::string_view t = target();
    // Absolute form: "http://host/path?q".
    if (!t.empty() && t.front() != '/') {
        size_t scheme = t.find("://");
        if (scheme != std::string_view::npos) {
            size_t slash = t.find('/', scheme + 3);
            t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
        }
    }
    return t.substr(0, t.find('?'));
}

std::string_view MessageHead::query() const {
    std::string_view t = target();
    size_t q = t.find('?');
    return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

} // namespace faasd::watchdog
