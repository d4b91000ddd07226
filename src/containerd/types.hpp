#pragma once

// Plain C++ values for what the containerd API carries. Nothing here
// includes generated protobuf code: only src/containerd/*.cpp does.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace faasd::containerd {

using Labels = std::map<std::string, std::string>;
using Timestamp = std::chrono::system_clock::time_point;

struct VersionInfo {
    std::string version;
    std::string revision;
};

struct Namespace {
    std::string name;
    Labels labels;
};

struct Mount {
    std::string type;
    std::string source;
    std::string target;
    std::vector<std::string> options;
};

struct Descriptor {
    std::string mediaType;
    std::string digest; // "sha256:<hex>"
    int64_t size = 0;
    Labels annotations;
};

struct Image {
    std::string name;
    Labels labels;
    Descriptor target;
    Timestamp createdAt{};
    Timestamp updatedAt{};
};

struct ContentInfo {
    std::string digest;
    int64_t size = 0;
    Timestamp createdAt{};
    Timestamp updatedAt{};
    Labels labels;
};

// An unfinished content write ("ingest"), resumable from offset.
struct IngestStatus {
    std::string ref;
    int64_t offset = 0;
    int64_t total = 0;
    std::string expected;
};

enum class SnapshotKind { Unknown, View, Active, Committed };

struct SnapshotInfo {
    std::string name;
    std::string parent;
    SnapshotKind kind = SnapshotKind::Unknown;
    Timestamp createdAt{};
    Timestamp updatedAt{};
    Labels labels;
};

struct Lease {
    std::string id;
    Timestamp createdAt{};
    Labels labels;
};

struct LeaseResource {
    std::string id;
    std::string type; // e.g. "content", "snapshots/overlayfs"
};

struct Container {
    std::string id;
    Labels labels;
    std::string image;
    std::string runtime = "io.containerd.runc.v2";
    std::string spec; // OCI runtime spec, JSON
    std::string snapshotter;
    std::string snapshotKey;
    Timestamp createdAt{};
    Timestamp updatedAt{};
};

enum class TaskStatus { Unknown, Created, Running, Stopped, Paused, Pausing };
const char* taskStatusName(TaskStatus status);

struct Process {
    std::string containerId;
    std::string id;
    uint32_t pid = 0;
    TaskStatus status = TaskStatus::Unknown;
    std::string stdinPath;
    std::string stdoutPath;
    std::string stderrPath;
    uint32_t exitStatus = 0;
    Timestamp exitedAt{};
};

struct ExitStatus {
    uint32_t code = 0;
    Timestamp exitedAt{};
};

// Where a task's stdio goes: fifo paths, or URIs the shim understands
// ("file:///var/log/x.log", "binary:///usr/bin/logger?arg").
struct TaskIo {
    std::string in;
    std::string out;
    std::string err;
    bool terminal = false;
};

struct CreateTaskRequest {
    std::string containerId;
    std::vector<Mount> rootfs;
    TaskIo io;
};

// Events, decoded where faasd acts on them; others keep their type URL.
struct TaskCreateEvent {
    std::string containerId;
    uint32_t pid = 0;
};
struct TaskStartEvent {
    std::string containerId;
    uint32_t pid = 0;
};
struct TaskExitEvent {
    std::string containerId;
    std::string id; // process id: equals containerId for the init process
    uint32_t pid = 0;
    uint32_t exitStatus = 0;
    Timestamp exitedAt{};
};
struct TaskDeleteEvent {
    std::string containerId;
    uint32_t pid = 0;
    uint32_t exitStatus = 0;
};
struct TaskOomEvent {
    std::string containerId;
};
struct TaskPausedEvent {
    std::string containerId;
};
struct TaskResumedEvent {
    std::string containerId;
};
struct ContainerCreateEvent {
    std::string id;
    std::string image;
};
struct ContainerUpdateEvent {
    std::string id;
    Labels labels;
};
struct ContainerDeleteEvent {
    std::string id;
};
struct OtherEvent {
    std::string typeUrl;
};

using EventPayload = std::variant<OtherEvent, TaskCreateEvent, TaskStartEvent, TaskExitEvent,
                                  TaskDeleteEvent, TaskOomEvent, TaskPausedEvent, TaskResumedEvent,
                                  ContainerCreateEvent, ContainerUpdateEvent, ContainerDeleteEvent>;

struct Event {
    Timestamp timestamp{};
    std::string ns;
    std::string topic; // "/tasks/exit", "/containers/create", ...
    EventPayload payload;
};

} // namespace faasd::containerd
