#pragma once

// The parsed head of an HTTP/1.x message, stored without per-field
// allocations: names and values live in one arena string that is reused
// from message to message on a connection.

#include "common/strings.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::watchdog {

// Fields that belong to one hop, which a proxy does not copy to the next:
// the hop-by-hop fields (common/http_headers.hpp) and Content-Length, which
// every hop frames itself.
bool isPerHop(std::string_view name);

std::string_view reasonPhrase(int status);

class MessageHead {
public:
    struct Field {
        std::string_view name;
        std::string_view value;
    };

    void clear();
    void addField(std::string_view name, std::string_view value);

    size_t fieldCount() const { return fields_.size(); }
    Field field(size_t i) const;
    // The first field with this name (case-insensitive), or nullopt.
    std::optional<std::string_view> find(std::string_view name) const;

    // Request line (requests only).
    std::string_view method() const { return view(method_); }
    std::string_view target() const { return view(target_); }
    void setRequestLine(std::string_view method, std::string_view target, int version);
    // Status line (responses only).
    int status() const { return status_; }
    void setStatusLine(int status, int version);

    int version() const { return version_; } // 10 or 11

    // Framing, filled in from the parser once the head is complete.
    std::optional<uint64_t> contentLength;
    bool chunked = false;
    bool keepAlive = true;

    // Request target split into path and query ("" when none).
    std::string_view path() const;
    std::string_view query() const;

private:
    struct Span {
        uint32_t offset = 0;
        uint32_t length = 0;
    };
    struct FieldSpan {
        Span name;
        Span value;
    };
    Span store(std::string_view text);
    std::string_view view(Span span) const { return {arena_.data() + span.offset, span.length}; }

    std::string arena_;
    std::vector<FieldSpan> fields_;
    Span method_;
    Span target_;
    int status_ = 0;
    int version_ = 11;
};

} // namespace faasd::watchdog
