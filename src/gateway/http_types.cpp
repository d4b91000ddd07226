#include "gateway/http_types.hpp"

#include <cctype>
#include <charconv>

namespace faasd::gateway {

using namespace std::string_view_literals;

std::string Request::queryValue(const std::string& key, const std::string& fallback) const {
    auto it = query.find(key);
    if (it == query.end() || it->second.empty()) {
        return fallback;
    }
    return it->second;
}

std::optional<std::string> Request::header(std::string_view name) const {
    for (const auto& [key, value] : headers) {
        if (equalsIgnoreCase(key, name)) {
            return value;
        }
    }
    return std::nullopt;
}

Response Response::json(unsigned status, std::string body) {
    return Response{status, "application/json", std::move(body), {}};
}

Response Response::text(unsigned status, std::string body) {
    return Response{status, "text/plain; charset=utf-8", std::move(body), {}};
}

Response Response::empty(unsigned status) {
    return Response{status, "", "", {}};
}

namespace {

int hexValue(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

} // namespace

std::string percentDecode(std::string_view text, bool plusIsSpace) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '%' && i + 2 < text.size()) {
            int hi = hexValue(text[i + 1]);
            int lo = hexValue(text[i + 2]);
            if (hi >= 0 && lo >= 0) {
                out += static_cast<char>(hi * 16 + lo);
                i += 2;
                continue;
            }
        }
        out += (plusIsSpace && c == '+') ? ' ' : c;
    }
    return out;
}

std::map<std::string, std::string> parseQuery(std::string_view raw) {
    std::map<std::string, std::string> out;
    while (!raw.empty()) {
        size_t amp = raw.find('&');
        std::string_view pair = raw.substr(0, amp);
        raw = amp == std::string_view::npos ? std::string_view{} : raw.substr(amp + 1);
        if (pair.empty()) {
            continue;
        }
        size_t eq = pair.find('=');
        std::string key = percentDecode(pair.substr(0, eq), true);
        std::string value =
            eq == std::string_view::npos ? std::string{} : percentDecode(pair.substr(eq + 1), true);
        out.emplace(std::move(key), std::move(value)); // the first value wins
    }
    return out;
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) {
        return false;
    }
    // ASCII only, as header names are; no locale lookups on the hot path.
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    for (size_t i = 0; i < a.size(); ++i) {
        if (lower(a[i]) != lower(b[i])) {
            return false;
        }
    }
    return true;
}

bool isHopByHopHeader(std::string_view name) {
    static constexpr std::string_view kHop[] = {"connection", "keep-alive",        "te",
                                                "trailer",    "transfer-encoding", "upgrade"};
    for (auto h : kHop) {
        if (equalsIgnoreCase(name, h)) {
            return true;
        }
    }
    return name.size() >= 6 && equalsIgnoreCase(name.substr(0, 6), "proxy-");
}

void appendField(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": "sv).append(value).append("\r\n"sv);
}

void appendNumber(std::string& out, uint64_t n) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, n).ptr;
    out.append(digits, end);
}

void appendSeconds(std::string& out, uint64_t nanoseconds) {
    appendNumber(out, nanoseconds / 1'000'000'000);
    char frac[7] = {'.', '0', '0', '0', '0', '0', '0'};
    uint64_t micros = nanoseconds % 1'000'000'000 / 1'000;
    for (int i = 6; i > 0; --i, micros /= 10) {
        frac[i] = static_cast<char>('0' + micros % 10);
    }
    out.append(frac, sizeof frac);
}

} // namespace faasd::gateway
