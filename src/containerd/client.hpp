#pragma once

// A typed client for containerd's v1 gRPC API over its unix socket.
//
//   auto client = Client::connect({.socket = "/run/containerd/containerd.sock"});
//   auto fn = client->withNamespace("openfaas-fn");
//   auto task = fn.tasks().get("say");
//
// Every call carries the `containerd-namespace` header (and the
// `containerd-lease` header when the client is bound to a lease) and a
// deadline. gRPC statuses become faasd::Error with the matching Code and a
// message naming what was asked for. The connection is re-established on
// its own after containerd restarts; a call that finds it down waits
// briefly for it and tries once more.
//
// Client is cheap to copy: copies share one connection.

#include "common/error.hpp"
#include "containerd/types.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace faasd::containerd {

struct Connection;

struct ClientOptions {
    std::string socket = "/run/containerd/containerd.sock";
    std::string ns = "default";
    std::chrono::milliseconds timeout{10'000};        // unary calls
    std::chrono::milliseconds streamTimeout{600'000}; // content streams, waits
};

// Scope of a call: which connection, namespace, lease and deadline.
struct CallScope {
    std::shared_ptr<Connection> conn;
    std::string ns;
    std::string lease;
    std::chrono::milliseconds timeout;
    std::chrono::milliseconds streamTimeout;
};

class NamespacesApi;
class ImagesApi;
class ContentApi;
class SnapshotsApi;
class DiffApi;
class LeasesApi;
class ContainersApi;
class TasksApi;
class EventsApi;

class Client {
public:
    // Creates the channel; does not wait for containerd (see ping()).
    static Result<Client> connect(const ClientOptions& options);

    Client withNamespace(std::string ns) const;
    Client withLease(std::string leaseId) const;
    Client withTimeout(std::chrono::milliseconds timeout) const;

    const std::string& ns() const { return scope_.ns; }
    const std::string& socket() const;

    // Asks containerd's version; fails fast (Code::Unavailable naming the
    // socket) when nothing answers within the timeout.
    Result<VersionInfo> version() const;
    // Waits up to timeout for the connection to be ready.
    bool waitConnected(std::chrono::milliseconds timeout) const;

    NamespacesApi namespaces() const;
    ImagesApi images() const;
    ContentApi content() const;
    SnapshotsApi snapshots(std::string snapshotter = "overlayfs") const;
    DiffApi diff() const;
    LeasesApi leases() const;
    ContainersApi containers() const;
    TasksApi tasks() const;
    EventsApi events() const;

private:
    explicit Client(CallScope scope) : scope_(std::move(scope)) {}
    CallScope scope_;
};

class NamespacesApi {
public:
    explicit NamespacesApi(CallScope scope) : scope_(std::move(scope)) {}
    Result<Namespace> create(const std::string& name, const Labels& labels = {}) const;
    Result<Namespace> get(const std::string& name) const;
    Result<std::vector<Namespace>> list() const;
    // Replaces the namespace's labels with these.
    Result<Namespace> setLabels(const std::string& name, const Labels& labels) const;
    Result<void> remove(const std::string& name) const;

private:
    CallScope scope_;
};

class ImagesApi {
public:
    explicit ImagesApi(CallScope scope) : scope_(std::move(scope)) {}
    Result<Image> get(const std::string& name) const;
    Result<std::vector<Image>> list(const std::vector<std::string>& filters = {}) const;
    Result<Image> create(const Image& image) const;
    // Updates target and labels of an existing image.
    Result<Image> update(const Image& image) const;
    Result<void> remove(const std::string& name, bool sync = false) const;

private:
    CallScope scope_;
};

// A source of bytes for content writes; seek() lets a write resume.
class ByteSource {
public:
    virtual ~ByteSource() = default;
    virtual Result<void> seek(int64_t offset) = 0;
    // Reads up to buf.size() bytes; 0 at the end.
    virtual Result<size_t> read(std::span<char> buf) = 0;
};

class StringSource : public ByteSource {
public:
    explicit StringSource(std::string_view data) : data_(data) {}
    Result<void> seek(int64_t offset) override;
    Result<size_t> read(std::span<char> buf) override;

private:
    std::string_view data_;
    size_t pos_ = 0;
};

struct ContentWrite {
    std::string ref;    // ingest name, stable across retries to resume
    std::string digest; // expected "sha256:..."
    int64_t size = -1;  // expected size; -1 when unknown
    Labels labels;      // set on commit (e.g. gc references)
};

class ContentApi {
public:
    explicit ContentApi(CallScope scope) : scope_(std::move(scope)) {}
    Result<ContentInfo> info(const std::string& digest) const;
    Result<std::vector<ContentInfo>> list(const std::vector<std::string>& filters = {}) const;
    // Replaces the blob's labels with these.
    Result<ContentInfo> setLabels(const std::string& digest, const Labels& labels) const;
    // Sets (or, with an empty value, removes) one label.
    Result<ContentInfo> setLabel(const std::string& digest, const std::string& key,
                                 const std::string& value) const;
    Result<void> remove(const std::string& digest) const;

    // Streams source into the content store and commits it against the
    // expected digest (and size); resumes an earlier partial write of the
    // same ref. Writing content that already exists succeeds. A digest or
    // size mismatch is Code::FailedPrecondition and leaves no ingest behind.
    Result<void> write(const ContentWrite& write, ByteSource& source) const;
    // Calls sink with consecutive chunks of the blob from offset (size 0
    // reads to the end).
    Result<void> read(const std::string& digest,
                      const std::function<Result<void>(std::string_view)>& sink, int64_t offset = 0,
                      int64_t size = 0) const;
    Result<std::string> readAll(const std::string& digest, int64_t maxSize = 64 << 20) const;

    Result<IngestStatus> status(const std::string& ref) const;
    Result<std::vector<IngestStatus>>
    listStatuses(const std::vector<std::string>& filters = {}) const;
    Result<void> abort(const std::string& ref) const;

private:
    CallScope scope_;
};

class SnapshotsApi {
public:
    SnapshotsApi(CallScope scope, std::string snapshotter)
        : scope_(std::move(scope)), snapshotter_(std::move(snapshotter)) {}
    const std::string& snapshotter() const { return snapshotter_; }

    Result<std::vector<Mount>> prepare(const std::string& key, const std::string& parent,
                                       const Labels& labels = {}) const;
    Result<std::vector<Mount>> view(const std::string& key, const std::string& parent,
                                    const Labels& labels = {}) const;
    Result<std::vector<Mount>> mounts(const std::string& key) const;
    Result<void> commit(const std::string& name, const std::string& key,
                        const Labels& labels = {}) const;
    Result<void> remove(const std::string& key) const;
    Result<SnapshotInfo> stat(const std::string& key) const;
    Result<std::vector<SnapshotInfo>> list(const std::vector<std::string>& filters = {}) const;

private:
    CallScope scope_;
    std::string snapshotter_;
};

class DiffApi {
public:
    explicit DiffApi(CallScope scope) : scope_(std::move(scope)) {}
    // Applies a layer blob onto mounts; returns the descriptor of what was
    // applied (digest of the uncompressed layer: its diff ID).
    Result<Descriptor> apply(const Descriptor& layer, const std::vector<Mount>& mounts) const;

private:
    CallScope scope_;
};

class LeasesApi {
public:
    explicit LeasesApi(CallScope scope) : scope_(std::move(scope)) {}
    // An empty id lets containerd choose one. expire sets the
    // "containerd.io/gc.expire" label so a leaked lease is collected.
    Result<Lease> create(const std::string& id, const Labels& labels = {},
                         std::optional<std::chrono::seconds> expire = std::nullopt) const;
    Result<void> remove(const std::string& id, bool sync = false) const;
    Result<std::vector<Lease>> list(const std::vector<std::string>& filters = {}) const;
    Result<void> addResource(const std::string& id, const LeaseResource& resource) const;
    Result<std::vector<LeaseResource>> resources(const std::string& id) const;

private:
    CallScope scope_;
};

class ContainersApi {
public:
    explicit ContainersApi(CallScope scope) : scope_(std::move(scope)) {}
    Result<Container> create(const Container& container) const;
    Result<Container> get(const std::string& id) const;
    Result<std::vector<Container>> list(const std::vector<std::string>& filters = {}) const;
    // Updates the given fields ("labels", "spec", "image", "snapshotkey"...).
    Result<Container> update(const Container& container,
                             const std::vector<std::string>& fields) const;
    Result<void> remove(const std::string& id) const;

private:
    CallScope scope_;
};

class TasksApi {
public:
    explicit TasksApi(CallScope scope) : scope_(std::move(scope)) {}
    // Returns the pid of the task's init process (not yet started).
    Result<uint32_t> create(const CreateTaskRequest& request) const;
    Result<uint32_t> start(const std::string& containerId) const;
    Result<void> kill(const std::string& containerId, int signal, bool all = false) const;
    // Deletes a stopped task and returns its exit status.
    Result<ExitStatus> remove(const std::string& containerId) const;
    Result<Process> get(const std::string& containerId) const;
    Result<std::vector<Process>> list(const std::string& filter = "") const;
    Result<std::vector<uint32_t>> pids(const std::string& containerId) const;
    Result<void> pause(const std::string& containerId) const;
    Result<void> resume(const std::string& containerId) const;
    // Blocks until the task exits or timeout passes (Code::Timeout).
    Result<ExitStatus> wait(const std::string& containerId,
                            std::optional<std::chrono::milliseconds> timeout = {}) const;

private:
    CallScope scope_;
};

// A live event subscription. next() blocks for the next event; it returns
// nullopt once cancel() has been called or the stream ended, and an error
// when the connection broke (subscribe again to continue).
class EventStream {
public:
    struct State;
    explicit EventStream(std::unique_ptr<State> state);
    EventStream(EventStream&&) noexcept;
    EventStream& operator=(EventStream&&) noexcept;
    ~EventStream();

    Result<std::optional<Event>> next();
    // Safe to call from another thread while next() blocks.
    void cancel();

private:
    std::unique_ptr<State> state_;
};

class EventsApi {
public:
    explicit EventsApi(CallScope scope) : scope_(std::move(scope)) {}
    // Filters use containerd's syntax, e.g. `topic~="/tasks/"` or
    // `namespace=="openfaas-fn"`. Events of every namespace arrive unless
    // filtered.
    Result<EventStream> subscribe(const std::vector<std::string>& filters = {}) const;

private:
    CallScope scope_;
};

} // namespace faasd::containerd
