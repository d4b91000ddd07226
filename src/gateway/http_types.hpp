#pragma once

// The gateway's view of a buffered request and response, independent of
// the HTTP engine. System handlers take a Request and return a Response;
// only the server and the proxy see Beast.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace faasd::gateway {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string method; // "GET", "POST", ...
    std::string path;   // without the query
    std::string rawQuery;
    std::map<std::string, std::string> query;  // decoded, first value of each key
    std::map<std::string, std::string> params; // named segments of the route
    HeaderList headers;
    std::string body;
    std::string remoteAddress;

    // The query value, or fallback when absent or empty.
    std::string queryValue(const std::string& key, const std::string& fallback = {}) const;
    bool hasQuery(const std::string& key) const { return query.count(key) != 0; }
    // Case-insensitive header lookup.
    std::optional<std::string> header(std::string_view name) const;
};

struct Response {
    unsigned status = 200;
    std::string contentType = "text/plain; charset=utf-8";
    std::string body;
    HeaderList headers;

    static Response json(unsigned status, std::string body);
    static Response text(unsigned status, std::string body);
    static Response empty(unsigned status);
};

// "a=1&b=x%20y" -> {a: 1, b: "x y"}; '+' is a space as in HTML forms, and
// a '%' without two hex digits is kept as it is.
std::map<std::string, std::string> parseQuery(std::string_view raw);

// Building HTTP heads on the invoke path: plain appends, no format pass.
// "Name: value\r\n"
void appendField(std::string& out, std::string_view name, std::string_view value);
void appendNumber(std::string& out, uint64_t n);
// Nanoseconds as seconds with six decimals: 1234567 -> "0.001234".
void appendSeconds(std::string& out, uint64_t nanoseconds);

} // namespace faasd::gateway
