#include "gateway/http_types.hpp"

#include "common/strings.hpp"

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
        if (iequals(key, name)) {
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
        std::string key = percentDecodeLenient(pair.substr(0, eq), PlusIs::Space);
        std::string value = eq == std::string_view::npos
                                ? std::string{}
                                : percentDecodeLenient(pair.substr(eq + 1), PlusIs::Space);
        out.emplace(std::move(key), std::move(value)); // the first value wins
    }
    return out;
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
