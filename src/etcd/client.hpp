#pragma once

// A typed client of etcd's v3 API (KV, Lease, Watch, Cluster, Maintenance
// and the v3election service) over gRPC, from our own .proto subset.
//
//   auto etcd = etcd::Client::connect({.endpoints = {"http://10.0.0.1:2379"}});
//   auto lease = (*etcd)->grantLease(std::chrono::seconds(10));
//   (*etcd)->put("/faasd/nodes/a", "{...}", *lease);
//
// Several endpoints are one cluster: a call that finds its member down is
// retried on the next one within the call's deadline. gRPC statuses become
// faasd::Error: Unavailable when no member answers (naming the endpoints),
// Timeout for a deadline, NotFound for a lease that has expired,
// FailedPrecondition for a compacted revision, InvalidArgument for what
// etcd refuses (a value over its request size, say).
//
// Thread-safe: one Client is shared by every component of a node.

#include "common/error.hpp"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace faasd::etcd {

struct Connection; // the members' channels and stubs (connection.hpp)

struct ClientConfig {
    // "http://host:port" or "https://host:port"; https needs caFile.
    std::vector<std::string> endpoints;
    std::string caFile;   // PEM: the CA that signed the members' certificates
    std::string certFile; // PEM: this client's certificate (client auth), optional
    std::string keyFile;  // its key
    std::chrono::milliseconds dialTimeout{5000};    // connect(): a member must answer
    std::chrono::milliseconds requestTimeout{5000}; // each unary call
};

struct KeyValue {
    std::string key;
    std::string value;
    int64_t createRevision = 0;
    int64_t modRevision = 0;
    int64_t version = 0;
    int64_t lease = 0; // 0: none
};

// What a read saw, and the store's revision when it read it.
struct Range {
    std::vector<KeyValue> kvs;
    int64_t revision = 0;
};

// One comparison of a transaction.
struct Compare {
    enum class Target { Version, CreateRevision, ModRevision, Value, Lease };
    enum class Op { Equal, Greater, Less, NotEqual };
    std::string key;
    Target target = Target::Version;
    Op op = Op::Equal;
    int64_t number = 0; // Version, CreateRevision, ModRevision, Lease
    std::string value;  // Value

    // The key does not exist (its create revision is 0).
    static Compare missing(std::string key);
    // The key exists.
    static Compare exists(std::string key);
    // The key was last written at revision (0: it does not exist).
    static Compare modRevisionIs(std::string key, int64_t revision);
    static Compare valueIs(std::string key, std::string value);
    static Compare leaseIs(std::string key, int64_t lease);
};

// One operation of a transaction.
struct Operation {
    enum class Kind { Put, Delete, DeletePrefix, Get, GetPrefix };
    Kind kind = Kind::Get;
    std::string key; // the prefix for *Prefix
    std::string value;
    int64_t lease = 0;

    static Operation put(std::string key, std::string value, int64_t lease = 0);
    static Operation remove(std::string key);
    static Operation removePrefix(std::string prefix);
    static Operation get(std::string key);
    static Operation getPrefix(std::string prefix);
};

struct TxnResult {
    bool succeeded = false;
    int64_t revision = 0;
    // One per Get/GetPrefix of the branch that ran, in order.
    std::vector<Range> ranges;
};

struct Event {
    enum class Type { Put, Delete };
    Type type = Type::Put;
    KeyValue kv; // for Delete: the key and the revision of the delete
};

struct WatchHandlers {
    // A batch of events, all at revisions <= revision.
    std::function<void(const std::vector<Event>&, int64_t revision)> events;
    // The watch could not resume where it stopped (the revision it needed
    // was compacted): the caller must read the prefix again. Events go on
    // from the revision passed, the one after the watch restarted.
    std::function<void(int64_t revision)> reset;
};

// A running watch; destroying it cancels it (no handler runs after the
// destructor returns). It joins the watch's thread: never destroy a watch
// from one of its own handlers.
class Watch {
public:
    virtual ~Watch() = default;
    // The last revision handed to a handler (or the start revision - 1).
    virtual int64_t revision() const = 0;
};

// A leader of an election (the key etcd made for it).
struct LeaderKey {
    std::string name;
    std::string key;
    int64_t revision = 0;
    int64_t lease = 0;
};

struct MemberInfo {
    uint64_t id = 0;
    std::string name;
    std::vector<std::string> clientUrls;
    std::vector<std::string> peerUrls;
};

struct StatusInfo {
    std::string version;
    uint64_t memberId = 0;
    uint64_t leaderId = 0;
    int64_t dbSize = 0;
    int64_t revision = 0; // the store's current revision
    int64_t raftTerm = 0;
};

class Client {
public:
    // Fails (Unavailable, naming the endpoints) unless a member answers
    // within dialTimeout; a missing or bad TLS file is InvalidArgument.
    static Result<std::unique_ptr<Client>> connect(const ClientConfig& config);
    virtual ~Client() = default;

    const ClientConfig& config() const;

    // --- KV
    Result<std::optional<KeyValue>> get(const std::string& key);
    // Every key under prefix, sorted by key. limit 0: all.
    Result<Range> getPrefix(const std::string& prefix, int64_t limit = 0);
    // The revision of the write.
    Result<int64_t> put(const std::string& key, const std::string& value, int64_t lease = 0);
    // How many keys were deleted.
    Result<int64_t> remove(const std::string& key);
    Result<int64_t> removePrefix(const std::string& prefix);
    Result<TxnResult> txn(const std::vector<Compare>& compares,
                          const std::vector<Operation>& onSuccess,
                          const std::vector<Operation>& onFailure = {});
    // Drops history before revision (an operator's and a test's tool).
    Result<void> compact(int64_t revision);

    // --- Leases
    // A new lease's id (id 0: etcd chooses).
    Result<int64_t> grantLease(std::chrono::seconds ttl, int64_t id = 0);
    // Its keys go at once. NotFound when it had expired.
    Result<void> revokeLease(int64_t id);
    // Renews it once; the TTL it has again. NotFound when it had expired.
    Result<std::chrono::seconds> keepAliveOnce(int64_t id);
    // Seconds left; NotFound when expired.
    Result<std::chrono::seconds> leaseTimeToLive(int64_t id);

    // --- Watch
    // Events under prefix from startRevision (0: from now), delivered on a
    // thread of the watch's own. A broken stream is reopened, on another
    // member if need be, from the revision after the last one delivered;
    // when that revision is gone, handlers.reset is called.
    Result<std::unique_ptr<Watch>> watchPrefix(const std::string& prefix, int64_t startRevision,
                                               WatchHandlers handlers);

    // --- Election (etcd's v3election service)
    // Blocks until the candidate with this lease leads election `name`
    // (value is what leader() shows), stop becomes true (Cancelled), or the
    // lease expires (NotFound).
    Result<LeaderKey> campaign(const std::string& name, int64_t lease, const std::string& value,
                               const std::atomic<bool>& stop);
    // The current leader's key and value; nullopt when there is none.
    Result<std::optional<KeyValue>> leader(const std::string& name);
    Result<void> resign(const LeaderKey& leader);

    // --- Cluster
    Result<std::vector<MemberInfo>> members();
    // The first member that answers.
    Result<StatusInfo> status();

protected:
    Client() = default;

private:
    friend class LeaseKeeper;
    explicit Client(std::shared_ptr<Connection> conn) : conn_(std::move(conn)) {}
    std::shared_ptr<Connection> conn_;
};

// A lease renewed by a thread of its own at a third of its TTL, on
// whichever member answers. onLost is called once, from that thread, when
// the lease has expired (etcd unreachable for longer than the TTL, or the
// lease revoked elsewhere); the keeper then stops. Its destructor joins
// that thread: onLost must not destroy the keeper itself. The Client may
// go first: the keeper holds the connection it needs.
class LeaseKeeper {
public:
    static Result<std::unique_ptr<LeaseKeeper>> start(Client& client, std::chrono::seconds ttl,
                                                      std::function<void()> onLost);
    virtual ~LeaseKeeper() = default; // revokes the lease (its keys go at once)

    virtual int64_t id() const = 0;
    virtual bool alive() const = 0;
    // Stops renewing without revoking: the lease lapses after its TTL (what
    // a node that dies does; for tests).
    virtual void abandon() = 0;
};

} // namespace faasd::etcd
