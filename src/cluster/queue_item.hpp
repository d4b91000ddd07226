#pragma once

// The cluster queue's records in etcd, and their keys under the queue's
// prefix P:
//
//   P q/items/<callId>   an unfinished or failed request, without its body
//                        (QueueItem as JSON)
//   P q/claims/<callId>  the node running it, under that node's lease
//   P bodies/<callId>    the body, raw bytes (absent when empty)
//   P done/<callId>      a completed request's record (QueueItem without
//                        headers), under a lease that ends it after
//                        keepCompleted
//
// Nodes watch P q/ only: items and claims are small, so a retry or a claim
// does not send the body to every node, nor store it again in etcd's
// history; bodies are read once, by the claiming node.

#include "api/function_ref.hpp"
#include "common/error.hpp"
#include "ports/async_queue.hpp"
#include "queue/job.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace faasd::cluster {

enum class ItemStatus { Pending, Retrying, Failed, Completed };

std::string_view toString(ItemStatus status);
std::optional<ItemStatus> parseItemStatus(std::string_view text);

struct QueueItem {
    std::string callId;
    api::FunctionRef function;
    std::string method;
    std::string path;
    std::string query;
    queue::HeaderList headers;
    std::string callbackUrl;
    std::string origin;     // the node that accepted it
    int64_t enqueuedMs = 0; // Unix milliseconds
    uint64_t bodyBytes = 0;
    ItemStatus status = ItemStatus::Pending;
    uint64_t attempts = 0; // invocations started, counted when claimed
    int64_t nextAtMs = 0;  // Retrying: not before
    std::string lastError;
    // Failed, Completed:
    int functionStatus = 0;
    std::string callbackStatus; // "", delivered, failed
    int64_t finishedMs = 0;

    bool operator==(const QueueItem&) const = default;
};

// The item of an accepted request (its body goes to its own key).
QueueItem itemOf(const gateway::AsyncRequest& request, std::string origin, int64_t nowMs);
// What a worker invokes.
queue::Job jobOf(const QueueItem& item, std::string body);
// What /system/async-requests shows; claimed: a node runs it now.
gateway::AsyncRequestInfo infoOf(const QueueItem& item, bool claimed);

std::string encodeItem(const QueueItem& item);
// InvalidArgument when the text is not a QueueItem.
Result<QueueItem> decodeItem(std::string_view text);

class QueueKeys {
public:
    // prefix: "/faasd/queue/"; a '/' is added when missing.
    explicit QueueKeys(std::string prefix);

    const std::string& prefix() const { return prefix_; }
    std::string watched() const { return prefix_ + "q/"; }
    std::string items() const { return prefix_ + "q/items/"; }
    std::string claims() const { return prefix_ + "q/claims/"; }
    std::string done() const { return prefix_ + "done/"; }
    std::string item(std::string_view callId) const { return items() + std::string(callId); }
    std::string claim(std::string_view callId) const { return claims() + std::string(callId); }
    std::string body(std::string_view callId) const {
        return prefix_ + "bodies/" + std::string(callId);
    }
    std::string doneRecord(std::string_view callId) const { return done() + std::string(callId); }

    // A watched key: an item's or a claim's, and its call id.
    enum class Kind { Item, Claim };
    struct Parsed {
        Kind kind;
        std::string callId;
    };
    std::optional<Parsed> parse(std::string_view key) const;

private:
    std::string prefix_;
};

} // namespace faasd::cluster
