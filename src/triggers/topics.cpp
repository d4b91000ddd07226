#include "triggers/topics.hpp"

#include "common/strings.hpp"
#include "triggers/trigger.hpp"

#include <algorithm>
#include <cstdint>

namespace faasd::triggers {

namespace {

// MQTT strings are at most 65535 bytes (a two-byte length prefix).
constexpr size_t kMaxTopicBytes = 65535;
// How much of a long topic an error quotes.
constexpr size_t kQuotedTopicBytes = 80;

// "a/b" quoted for an error, control bytes as \xNN, long ones cut short.
std::string quotedTopic(std::string_view topic) {
    std::string out = "\"";
    for (unsigned char c : topic.substr(0, kQuotedTopicBytes)) {
        if (c < 0x20 || c == 0x7f) {
            out += fmt::format("\\x{:02x}", c);
        } else if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
        } else {
            out += static_cast<char>(c);
        }
    }
    if (topic.size() > kQuotedTopicBytes) {
        out += "...";
    }
    return out + "\"";
}

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates, nothing
// past U+10FFFF.
bool validUtf8(std::string_view text) {
    size_t i = 0;
    while (i < text.size()) {
        auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x80) {
            ++i;
            continue;
        }
        size_t extra = 0;
        uint32_t cp = 0;
        if (c >= 0xc2 && c <= 0xdf) {
            extra = 1;
            cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
            extra = 2;
            cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + extra >= text.size()) {
            return false;
        }
        for (size_t k = 1; k <= extra; ++k) {
            auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xc0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (next & 0x3f);
        }
        if ((extra == 2 && cp < 0x800) || (extra == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff)) {
            return false;
        }
        i += extra + 1;
    }
    return true;
}

// What a topic name and a topic filter share: length, encoding, no NUL.
Result<void> checkTopicText(std::string_view name, std::string_view topic) {
    if (topic.empty()) {
        return fail(Code::InvalidArgument, "{}: empty topic", name);
    }
    if (topic.size() > kMaxTopicBytes) {
        return fail(Code::InvalidArgument, "{}: {}: longer than {} bytes", name, quotedTopic(topic),
                    kMaxTopicBytes);
    }
    if (topic.find('\0') != std::string_view::npos) {
        return fail(Code::InvalidArgument, "{}: {}: contains NUL", name, quotedTopic(topic));
    }
    if (!validUtf8(topic)) {
        return fail(Code::InvalidArgument, "{}: {}: not valid UTF-8", name, quotedTopic(topic));
    }
    return {};
}

Result<void> checkFilter(std::string_view filter) {
    TRY(checkTopicText(kTopicAnnotation, filter));
    if (filter.starts_with("$share/") || filter.starts_with("$queue/")) {
        return fail(Code::InvalidArgument,
                    "{}: {}: a shared subscription: write the filter alone, faasd shares it",
                    kTopicAnnotation, quotedTopic(filter));
    }
    auto levels = splitOn(filter, '/');
    for (size_t i = 0; i < levels.size(); ++i) {
        auto level = levels[i];
        if (level.find('#') != std::string_view::npos) {
            if (level != "#") {
                return fail(Code::InvalidArgument, "{}: {}: '#' must be a whole level",
                            kTopicAnnotation, quotedTopic(filter));
            }
            if (i + 1 != levels.size()) {
                return fail(Code::InvalidArgument, "{}: {}: '#' must be the last level",
                            kTopicAnnotation, quotedTopic(filter));
            }
        }
        if (level.find('+') != std::string_view::npos && level != "+") {
            return fail(Code::InvalidArgument, "{}: {}: '+' must be a whole level",
                        kTopicAnnotation, quotedTopic(filter));
        }
    }
    return {};
}

} // namespace

Result<std::string> mqttReplyTopic(const api::StringMap& annotations) {
    auto it = annotations.find(std::string(kReplyTopicAnnotation));
    if (it == annotations.end()) {
        return std::string();
    }
    auto topic = trimBlank(it->second);
    TRY(checkTopicText(kReplyTopicAnnotation, topic));
    if (topic.find_first_of("+#") != std::string_view::npos) {
        return fail(Code::InvalidArgument, "{}: {}: a topic name has no wildcards ('+', '#')",
                    kReplyTopicAnnotation, quotedTopic(topic));
    }
    if (topic.starts_with('$')) {
        return fail(Code::InvalidArgument, "{}: {}: topics starting with '$' are the broker's",
                    kReplyTopicAnnotation, quotedTopic(topic));
    }
    return std::string(topic);
}

Result<std::vector<std::string>> mqttTopics(const api::StringMap& annotations) {
    std::vector<std::string> filters;
    auto it = annotations.find(std::string(kTopicAnnotation));
    if (it != annotations.end()) {
        for (auto entry : splitOn(it->second, ',')) {
            auto filter = trimBlank(entry);
            if (filter == kCronTopic) {
                continue;
            }
            TRY(checkFilter(filter));
            if (std::find(filters.begin(), filters.end(), filter) == filters.end()) {
                filters.emplace_back(filter);
            }
        }
    }
    TRY(mqttReplyTopic(annotations));
    return filters;
}

bool topicMatches(std::string_view filter, std::string_view topic) {
    if (topic.starts_with('$') && (filter.starts_with('+') || filter.starts_with('#'))) {
        return false;
    }
    auto wanted = splitOn(filter, '/');
    auto levels = splitOn(topic, '/');
    for (size_t i = 0; i < wanted.size(); ++i) {
        if (wanted[i] == "#") {
            return true; // the parent level too: "a/#" matches "a"
        }
        if (i >= levels.size()) {
            return false;
        }
        if (wanted[i] != "+" && wanted[i] != levels[i]) {
            return false;
        }
    }
    return wanted.size() == levels.size();
}

} // namespace faasd::triggers
