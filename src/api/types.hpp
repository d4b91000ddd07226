#pragma once

// OpenFaaS wire types. Field names on the wire are OpenFaaS's, verbatim
// (see json.hpp); these structs are what the gateway, provider and CLI pass
// around.

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace faasd::api {

inline constexpr const char* kDefaultNamespace = "openfaas-fn";

using StringMap = std::map<std::string, std::string>;

struct Resources {
    std::string memory; // "128Mi", "1G", bytes
    std::string cpu;    // "100m", "0.5", "2"
    bool empty() const { return memory.empty() && cpu.empty(); }
    bool operator==(const Resources&) const = default;
};

// POST/PUT /system/functions
struct FunctionDeployment {
    std::string service;
    std::string image;
    std::string ns; // "namespace"
    std::string envProcess;
    StringMap envVars;
    std::vector<std::string> constraints;
    std::vector<std::string> secrets;
    StringMap labels;
    StringMap annotations;
    std::optional<Resources> limits;
    std::optional<Resources> requests;
    bool readOnlyRootFilesystem = false;
};

struct FunctionUsage {
    double cpu = 0; // cores in use
    uint64_t totalMemoryBytes = 0;
};

// GET /system/functions, /system/function/{name}
struct FunctionStatus {
    std::string name;
    std::string image;
    std::string ns;
    std::string envProcess;
    StringMap envVars;
    std::vector<std::string> constraints;
    std::vector<std::string> secrets;
    StringMap labels;
    StringMap annotations;
    std::optional<Resources> limits;
    std::optional<Resources> requests;
    bool readOnlyRootFilesystem = false;
    double invocationCount = 0;
    uint64_t replicas = 0;
    uint64_t availableReplicas = 0;
    std::chrono::system_clock::time_point createdAt{};
    std::optional<FunctionUsage> usage;
};

// POST /system/scale-function/{name}
struct ScaleRequest {
    std::string serviceName;
    std::string ns;
    uint64_t replicas = 0;
};

// DELETE /system/functions
struct DeleteRequest {
    std::string functionName;
    std::string ns;
};

// /system/secrets
struct Secret {
    std::string name;
    std::string ns;
    std::string value;                   // "value"
    std::optional<std::string> rawValue; // decoded bytes of "rawValue" (base64 on the wire)
    // The bytes to store: rawValue when given, else value.
    const std::string& bytes() const { return rawValue ? *rawValue : value; }
};

// /system/namespace/{ns}
struct NamespaceRequest {
    std::string name;
    StringMap labels;
    StringMap annotations;
};

// GET /system/logs
struct LogRequest {
    std::string name;
    std::string ns;
    std::string instance;
    std::optional<int64_t> tail; // lines; nullopt or -1: all
    std::optional<std::chrono::system_clock::time_point> since;
    bool follow = false;
};

struct LogMessage {
    std::string name;
    std::string ns;
    std::string instance;
    std::chrono::system_clock::time_point timestamp{};
    std::string text;
};

struct VersionInfo {
    std::string sha;
    std::string release;
};

// One run of a trigger: when it was due (or the message came), its call id
// and how it went ("accepted", "completed (200)", "failed (500)", ...).
struct TriggerRun {
    std::chrono::system_clock::time_point at;
    std::string callId;
    std::string status;
};

// GET /system/triggers: one trigger of a function (a cron schedule, an
// MQTT topic), its runs and counts.
struct TriggerStatus {
    std::string kind; // "cron", "mqtt"
    std::string function;
    std::string ns;
    std::string spec;     // "trigger": the schedule, or the topic filter
    std::string timeZone; // cron: the schedule's zone
    std::string mode;     // "async" (through the queue) or "sync"
    std::string state;    // "scheduled", "running"; mqtt: "subscribed", "disconnected"
    std::optional<std::chrono::system_clock::time_point> nextRun;
    std::optional<std::chrono::system_clock::time_point> lastRun;
    std::string lastStatus; // "accepted", "completed (200)", "failed (500)", "skipped", ...
    std::string lastCallId;
    uint64_t runs = 0;                  // started
    uint64_t skipped = 0;               // dropped by the overlap rule
    uint64_t missed = 0;                // due while the daemon was down and not caught up
    uint64_t failed = 0;                // could not start, or ended failed
    std::vector<TriggerRun> recentRuns; // the last few, newest first
};

// GET /system/info
struct ProviderInfo {
    std::string provider;      // never exactly "faasd" (see OPENFAAS-CONTRACT)
    std::string orchestration; // "containerd"
    VersionInfo providerVersion;
    VersionInfo gatewayVersion;
    std::string arch;
};

} // namespace faasd::api
