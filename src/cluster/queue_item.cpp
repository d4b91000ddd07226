#include "cluster/queue_item.hpp"

#include <nlohmann/json.hpp>

namespace faasd::cluster {

namespace {

using nlohmann::json;

// The text of one field, or a default when absent; throws (caught by
// decodeItem) when present with another type.
template <typename T> T itemField(const json& j, const char* name, T fallback = {}) {
    auto it = j.find(name);
    if (it == j.end() || it->is_null()) {
        return fallback;
    }
    return it->get<T>();
}

} // namespace

std::string_view toString(ItemStatus status) {
    switch (status) {
    case ItemStatus::Pending:
        return "pending";
    case ItemStatus::Retrying:
        return "retrying";
    case ItemStatus::Failed:
        return "failed";
    case ItemStatus::Completed:
        return "completed";
    }
    return "pending";
}

std::optional<ItemStatus> parseItemStatus(std::string_view text) {
    for (auto s :
         {ItemStatus::Pending, ItemStatus::Retrying, ItemStatus::Failed, ItemStatus::Completed}) {
        if (toString(s) == text) {
            return s;
        }
    }
    return std::nullopt;
}

QueueItem itemOf(const gateway::AsyncRequest& request, std::string origin, int64_t nowMs) {
    return QueueItem{.callId = request.callId,
                     .function = {request.name, request.ns},
                     .method = request.method,
                     .path = request.path,
                     .query = request.query,
                     .headers = request.headers,
                     .callbackUrl = request.callbackUrl,
                     .origin = std::move(origin),
                     .enqueuedMs = nowMs,
                     .bodyBytes = request.body.size()};
}

queue::Job jobOf(const QueueItem& item, std::string body) {
    return queue::Job{.callId = item.callId,
                      .function = item.function,
                      .method = item.method,
                      .path = item.path,
                      .query = item.query,
                      .headers = item.headers,
                      .body = std::move(body),
                      .callbackUrl = item.callbackUrl,
                      .enqueuedMs = item.enqueuedMs,
                      .status = std::string(toString(item.status)),
                      .attempts = item.attempts};
}

gateway::AsyncRequestInfo infoOf(const QueueItem& item, bool claimed) {
    const bool finished = item.status == ItemStatus::Failed || item.status == ItemStatus::Completed;
    std::string callbackStatus = item.callbackStatus;
    if (!finished && !item.callbackUrl.empty()) {
        callbackStatus = "pending";
    }
    return gateway::AsyncRequestInfo{
        .callId = item.callId,
        .function = item.function.name,
        .ns = item.function.ns,
        .method = item.method,
        .path = item.path,
        .status = claimed && !finished ? "running" : std::string(toString(item.status)),
        .attempts = item.attempts,
        .enqueuedAt =
            std::chrono::system_clock::time_point(std::chrono::milliseconds(item.enqueuedMs)),
        .lastError = item.lastError,
        .callbackUrl = item.callbackUrl,
        .callbackStatus = std::move(callbackStatus)};
}

std::string encodeItem(const QueueItem& item) {
    json headers = json::array();
    for (const auto& [k, v] : item.headers) {
        headers.push_back({k, v});
    }
    json j = {{"callId", item.callId},
              {"function", item.function.name},
              {"namespace", item.function.ns},
              {"method", item.method},
              {"path", item.path},
              {"query", item.query},
              {"headers", std::move(headers)},
              {"callbackUrl", item.callbackUrl},
              {"origin", item.origin},
              {"enqueuedMs", item.enqueuedMs},
              {"bodyBytes", item.bodyBytes},
              {"status", toString(item.status)},
              {"attempts", item.attempts}};
    if (item.nextAtMs != 0) {
        j["nextAtMs"] = item.nextAtMs;
    }
    if (!item.lastError.empty()) {
        j["lastError"] = item.lastError;
    }
    if (item.functionStatus != 0) {
        j["functionStatus"] = item.functionStatus;
    }
    if (!item.callbackStatus.empty()) {
        j["callbackStatus"] = item.callbackStatus;
    }
    if (item.finishedMs != 0) {
        j["finishedMs"] = item.finishedMs;
    }
    // Header values are bytes; what is not UTF-8 is replaced, as the SQLite
    // queue stores them.
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<QueueItem> decodeItem(std::string_view text) {
    json j = json::parse(text, nullptr, false);
    if (!j.is_object()) {
        return fail(Code::InvalidArgument, "a queue item is not a JSON object");
    }
    try {
        QueueItem item;
        item.callId = itemField<std::string>(j, "callId");
        item.function.name = itemField<std::string>(j, "function");
        item.function.ns = itemField<std::string>(j, "namespace");
        item.method = itemField<std::string>(j, "method");
        item.path = itemField<std::string>(j, "path");
        item.query = itemField<std::string>(j, "query");
        if (auto it = j.find("headers"); it != j.end() && it->is_array()) {
            for (const auto& h : *it) {
                if (!h.is_array() || h.size() != 2) {
                    return fail(Code::InvalidArgument, "a queue item's header is not a pair");
                }
                item.headers.emplace_back(h[0].get<std::string>(), h[1].get<std::string>());
            }
        }
        item.callbackUrl = itemField<std::string>(j, "callbackUrl");
        item.origin = itemField<std::string>(j, "origin");
        item.enqueuedMs = itemField<int64_t>(j, "enqueuedMs");
        item.bodyBytes = itemField<uint64_t>(j, "bodyBytes");
        const auto status = itemField<std::string>(j, "status", "pending");
        auto parsed = parseItemStatus(status);
        if (!parsed) {
            return fail(Code::InvalidArgument, "a queue item's status is {}", status);
        }
        item.status = *parsed;
        item.attempts = itemField<uint64_t>(j, "attempts");
        item.nextAtMs = itemField<int64_t>(j, "nextAtMs");
        item.lastError = itemField<std::string>(j, "lastError");
        item.functionStatus = itemField<int>(j, "functionStatus");
        item.callbackStatus = itemField<std::string>(j, "callbackStatus");
        item.finishedMs = itemField<int64_t>(j, "finishedMs");
        if (item.callId.empty() || item.function.name.empty()) {
            return fail(Code::InvalidArgument, "a queue item without a call id or a function");
        }
        return item;
    } catch (const json::exception& e) {
        return fail(Code::InvalidArgument, "a queue item's field has the wrong type: {}", e.what());
    }
}

QueueKeys::QueueKeys(std::string prefix) : prefix_(std::move(prefix)) {
    if (prefix_.empty() || prefix_.back() != '/') {
        prefix_ += '/';
    }
}

std::optional<QueueKeys::Parsed> QueueKeys::parse(std::string_view key) const {
    const std::string itemsPrefix = items();
    const std::string claimsPrefix = claims();
    if (key.size() > itemsPrefix.size() && key.starts_with(itemsPrefix)) {
        return Parsed{Kind::Item, std::string(key.substr(itemsPrefix.size()))};
    }
    if (key.size() > claimsPrefix.size() && key.starts_with(claimsPrefix)) {
        return Parsed{Kind::Claim, std::string(key.substr(claimsPrefix.size()))};
    }
    return std::nullopt;
}

} // namespace faasd::cluster
