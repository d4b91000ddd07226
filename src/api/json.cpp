#include "api/json.hpp"

#include "api/json_number.hpp"
#include "common/base64.hpp"

#include <cmath>
#include <ctime>
#include <limits>
#include <nlohmann/json.hpp>
#include <type_traits>
#include <utility>

namespace faasd::api {

using nlohmann::json;

namespace {

Result<json> parseObject(std::string_view body, std::string_view what) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded()) {
        return fail(Code::InvalidArgument, "{}: the body is not valid JSON", what);
    }
    if (!j.is_object()) {
        return fail(Code::InvalidArgument, "{}: the body must be a JSON object", what);
    }
    return j;
}

// Reads an optional string field; null counts as absent.
Result<std::string> getString(const json& j, const char* key, std::string_view what) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::string();
    }
    if (!it->is_string()) {
        return fail(Code::InvalidArgument, "{}: \"{}\" must be a string", what, key);
    }
    return it->get<std::string>();
}

Result<StringMap> getMap(const json& j, const char* key, std::string_view what) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return StringMap{};
    }
    if (!it->is_object()) {
        return fail(Code::InvalidArgument, "{}: \"{}\" must be an object of strings", what, key);
    }
    StringMap out;
    for (const auto& [k, v] : it->items()) {
        if (!v.is_string()) {
            return fail(Code::InvalidArgument, "{}: \"{}.{}\" must be a string", what, key, k);
        }
        out[k] = v.get<std::string>();
    }
    return out;
}

Result<std::vector<std::string>> getList(const json& j, const char* key, std::string_view what) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::vector<std::string>{};
    }
    if (!it->is_array()) {
        return fail(Code::InvalidArgument, "{}: \"{}\" must be a list of strings", what, key);
    }
    std::vector<std::string> out;
    for (const auto& v : *it) {
        if (!v.is_string()) {
            return fail(Code::InvalidArgument, "{}: \"{}\" must be a list of strings", what, key);
        }
        out.push_back(v.get<std::string>());
    }
    return out;
}

Result<std::optional<Resources>> getResources(const json& j, const char* key,
                                              std::string_view what) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return std::optional<Resources>{};
    }
    if (!it->is_object()) {
        return fail(Code::InvalidArgument, "{}: \"{}\" must be an object", what, key);
    }
    Resources r;
    TRY_ASSIGN(r.memory, getString(*it, "memory", what));
    TRY_ASSIGN(r.cpu, getString(*it, "cpu", what));
    if (r.empty()) {
        return std::optional<Resources>{};
    }
    return std::optional<Resources>(r);
}

Result<bool> getBool(const json& j, const char* key, std::string_view what) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return false;
    }
    if (!it->is_boolean()) {
        return fail(Code::InvalidArgument, "{}: \"{}\" must be true or false", what, key);
    }
    return it->get<bool>();
}

json resourcesJson(const Resources& r) {
    json j = json::object();
    if (!r.memory.empty()) {
        j["memory"] = r.memory;
    }
    if (!r.cpu.empty()) {
        j["cpu"] = r.cpu;
    }
    return j;
}

json statusJson(const FunctionStatus& s) {
    json j = {{"name", s.name},
              {"image", s.image},
              {"namespace", s.ns},
              {"invocationCount", s.invocationCount},
              {"replicas", s.replicas},
              {"availableReplicas", s.availableReplicas},
              {"labels", json(s.labels)},
              {"annotations", json(s.annotations)},
              {"createdAt", formatRfc3339(s.createdAt)},
              {"readOnlyRootFilesystem", s.readOnlyRootFilesystem}};
    // A map serialises to an object even when empty.
    if (s.labels.empty()) {
        j["labels"] = json::object();
    }
    if (s.annotations.empty()) {
        j["annotations"] = json::object();
    }
    if (!s.envProcess.empty()) {
        j["envProcess"] = s.envProcess;
    }
    if (!s.envVars.empty()) {
        j["envVars"] = s.envVars;
    }
    if (!s.constraints.empty()) {
        j["constraints"] = s.constraints;
    }
    if (!s.secrets.empty()) {
        j["secrets"] = s.secrets;
    }
    if (s.limits && !s.limits->empty()) {
        j["limits"] = resourcesJson(*s.limits);
    }
    if (s.requests && !s.requests->empty()) {
        j["requests"] = resourcesJson(*s.requests);
    }
    if (s.usage) {
        j["usage"] = {{"cpu", s.usage->cpu}, {"totalMemoryBytes", s.usage->totalMemoryBytes}};
    }
    return j;
}

Result<FunctionStatus> statusFromJson(const json& j) {
    constexpr std::string_view what = "function status";
    FunctionStatus s;
    TRY_ASSIGN(s.name, getString(j, "name", what));
    TRY_ASSIGN(s.image, getString(j, "image", what));
    TRY_ASSIGN(s.ns, getString(j, "namespace", what));
    TRY_ASSIGN(s.envProcess, getString(j, "envProcess", what));
    TRY_ASSIGN(s.envVars, getMap(j, "envVars", what));
    TRY_ASSIGN(s.constraints, getList(j, "constraints", what));
    TRY_ASSIGN(s.secrets, getList(j, "secrets", what));
    TRY_ASSIGN(s.labels, getMap(j, "labels", what));
    TRY_ASSIGN(s.annotations, getMap(j, "annotations", what));
    TRY_ASSIGN(s.limits, getResources(j, "limits", what));
    TRY_ASSIGN(s.requests, getResources(j, "requests", what));
    TRY_ASSIGN(s.readOnlyRootFilesystem, getBool(j, "readOnlyRootFilesystem", what));
    TRY_ASSIGN(s.invocationCount, jsonNumber(j, "invocationCount", 0.0, what));
    TRY_ASSIGN(s.replicas, jsonNumber(j, "replicas", uint64_t{0}, what));
    TRY_ASSIGN(s.availableReplicas, jsonNumber(j, "availableReplicas", uint64_t{0}, what));
    TRY_ASSIGN(auto created, getString(j, "createdAt", what));
    if (!created.empty()) {
        if (auto tp = parseRfc3339(created)) {
            s.createdAt = *tp;
        }
    }
    return s;
}

} // namespace

std::string formatRfc3339(std::chrono::system_clock::time_point tp) {
    auto secs = std::chrono::time_point_cast<std::chrono::seconds>(tp);
    auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(tp - secs).count();
    std::time_t t = std::chrono::system_clock::to_time_t(secs);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[40];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::string out = buf;
    if (nanos > 0) {
        std::string frac = fmt::format("{:09d}", nanos);
        while (frac.back() == '0') {
            frac.pop_back();
        }
        out += "." + frac;
    }
    return out + "Z";
}

Result<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text) {
    std::tm tm{};
    std::string s(text);
    const char* rest = strptime(s.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
    if (rest == nullptr) {
        return fail(Code::InvalidArgument, "\"{}\" is not an RFC 3339 time", text);
    }
    int64_t nanos = 0;
    if (*rest == '.') {
        ++rest;
        int digits = 0;
        while (*rest >= '0' && *rest <= '9') {
            if (digits < 9) {
                nanos = nanos * 10 + (*rest - '0');
                ++digits;
            }
            ++rest;
        }
        while (digits++ < 9) {
            nanos *= 10;
        }
    }
    int64_t offset = 0;
    if (*rest == 'Z' || *rest == 'z') {
        ++rest;
    } else if (*rest == '+' || *rest == '-') {
        // Exactly [+-]HH:MM; rest points into s, which ends in '\0'.
        auto digit = [](char c) { return c >= '0' && c <= '9'; };
        if (!digit(rest[1]) || !digit(rest[2]) || rest[3] != ':' || !digit(rest[4]) ||
            !digit(rest[5])) {
            return fail(Code::InvalidArgument, "\"{}\" is not an RFC 3339 time", text);
        }
        const int hh = (rest[1] - '0') * 10 + (rest[2] - '0');
        const int mm = (rest[4] - '0') * 10 + (rest[5] - '0');
        offset = (*rest == '-' ? -1 : 1) * (hh * 3600 + mm * 60);
        rest += 6;
    } else {
        return fail(Code::InvalidArgument, "\"{}\" is not an RFC 3339 time (no zone)", text);
    }
    if (*rest != '\0') {
        return fail(Code::InvalidArgument, "\"{}\" is not an RFC 3339 time", text);
    }
    // strptime takes a year of any length; the clock holds about 292 years
    // either side of 1970 (nanoseconds in 64 bits).
    using std::chrono::seconds;
    constexpr int64_t kLimit =
        std::chrono::duration_cast<seconds>(std::chrono::system_clock::duration::max()).count() - 1;
    const int64_t t = static_cast<int64_t>(timegm(&tm)) - offset;
    if (t < -kLimit || t > kLimit) {
        return fail(Code::InvalidArgument, "\"{}\" is out of range", text);
    }
    return std::chrono::system_clock::from_time_t(static_cast<std::time_t>(t)) +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(
               std::chrono::nanoseconds(nanos));
}

Result<FunctionDeployment> parseFunctionDeployment(std::string_view body) {
    constexpr std::string_view what = "function deployment";
    TRY_ASSIGN(auto j, parseObject(body, what));
    FunctionDeployment d;
    TRY_ASSIGN(d.service, getString(j, "service", what));
    TRY_ASSIGN(d.image, getString(j, "image", what));
    TRY_ASSIGN(d.ns, getString(j, "namespace", what));
    TRY_ASSIGN(d.envProcess, getString(j, "envProcess", what));
    TRY_ASSIGN(d.envVars, getMap(j, "envVars", what));
    TRY_ASSIGN(d.constraints, getList(j, "constraints", what));
    TRY_ASSIGN(d.secrets, getList(j, "secrets", what));
    TRY_ASSIGN(d.labels, getMap(j, "labels", what));
    TRY_ASSIGN(d.annotations, getMap(j, "annotations", what));
    TRY_ASSIGN(d.limits, getResources(j, "limits", what));
    TRY_ASSIGN(d.requests, getResources(j, "requests", what));
    TRY_ASSIGN(d.readOnlyRootFilesystem, getBool(j, "readOnlyRootFilesystem", what));
    if (d.service.empty()) {
        return fail(Code::InvalidArgument, "{}: \"service\" is required", what);
    }
    if (d.image.empty()) {
        return fail(Code::InvalidArgument, "{}: \"image\" is required", what);
    }
    return d;
}

std::string toJson(const FunctionDeployment& d) {
    json j = {{"service", d.service}, {"image", d.image}};
    if (!d.ns.empty()) {
        j["namespace"] = d.ns;
    }
    if (!d.envProcess.empty()) {
        j["envProcess"] = d.envProcess;
    }
    if (!d.envVars.empty()) {
        j["envVars"] = d.envVars;
    }
    if (!d.constraints.empty()) {
        j["constraints"] = d.constraints;
    }
    if (!d.secrets.empty()) {
        j["secrets"] = d.secrets;
    }
    j["labels"] = d.labels.empty() ? json::object() : json(d.labels);
    j["annotations"] = d.annotations.empty() ? json::object() : json(d.annotations);
    if (d.limits && !d.limits->empty()) {
        j["limits"] = resourcesJson(*d.limits);
    }
    if (d.requests && !d.requests->empty()) {
        j["requests"] = resourcesJson(*d.requests);
    }
    if (d.readOnlyRootFilesystem) {
        j["readOnlyRootFilesystem"] = true;
    }
    return j.dump();
}

std::string toJson(const FunctionStatus& s) {
    return statusJson(s).dump();
}

std::string toJson(const std::vector<FunctionStatus>& list) {
    json j = json::array();
    for (const auto& s : list) {
        j.push_back(statusJson(s));
    }
    return j.dump();
}

Result<FunctionStatus> parseFunctionStatus(std::string_view body) {
    TRY_ASSIGN(auto j, parseObject(body, "function status"));
    return statusFromJson(j);
}

Result<std::vector<FunctionStatus>> parseFunctionStatusList(std::string_view body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
        return fail(Code::InvalidArgument, "function list: the body must be a JSON array");
    }
    std::vector<FunctionStatus> out;
    for (const auto& item : j) {
        if (!item.is_object()) {
            return fail(Code::InvalidArgument, "function list: entries must be objects");
        }
        TRY_ASSIGN(auto s, statusFromJson(item));
        out.push_back(std::move(s));
    }
    return out;
}

Result<ScaleRequest> parseScaleRequest(std::string_view body) {
    constexpr std::string_view what = "scale request";
    TRY_ASSIGN(auto j, parseObject(body, what));
    ScaleRequest r;
    TRY_ASSIGN(r.serviceName, getString(j, "serviceName", what));
    TRY_ASSIGN(r.ns, getString(j, "namespace", what));
    auto it = j.find("replicas");
    if (it == j.end() || it->is_null()) {
        return fail(Code::InvalidArgument, "{}: \"replicas\" is required", what);
    }
    if (!it->is_number_integer() && !it->is_number_unsigned()) {
        return fail(Code::InvalidArgument, "{}: \"replicas\" must be a whole number", what);
    }
    if (it->is_number_integer() && it->get<int64_t>() < 0) {
        return fail(Code::InvalidArgument, "{}: \"replicas\" must not be negative", what);
    }
    r.replicas = it->get<uint64_t>();
    return r;
}

std::string toJson(const ScaleRequest& r) {
    json j = {{"serviceName", r.serviceName}, {"replicas", r.replicas}};
    if (!r.ns.empty()) {
        j["namespace"] = r.ns;
    }
    return j.dump();
}

Result<DeleteRequest> parseDeleteRequest(std::string_view body) {
    constexpr std::string_view what = "delete request";
    TRY_ASSIGN(auto j, parseObject(body, what));
    DeleteRequest r;
    TRY_ASSIGN(r.functionName, getString(j, "functionName", what));
    TRY_ASSIGN(r.ns, getString(j, "namespace", what));
    if (r.functionName.empty()) {
        return fail(Code::InvalidArgument, "{}: \"functionName\" is required", what);
    }
    return r;
}

std::string toJson(const DeleteRequest& r) {
    json j = {{"functionName", r.functionName}};
    if (!r.ns.empty()) {
        j["namespace"] = r.ns;
    }
    return j.dump();
}

Result<Secret> parseSecret(std::string_view body) {
    constexpr std::string_view what = "secret";
    TRY_ASSIGN(auto j, parseObject(body, what));
    Secret s;
    TRY_ASSIGN(s.name, getString(j, "name", what));
    TRY_ASSIGN(s.ns, getString(j, "namespace", what));
    TRY_ASSIGN(s.value, getString(j, "value", what));
    TRY_ASSIGN(auto raw, getString(j, "rawValue", what));
    if (!raw.empty()) {
        auto decoded = base64Decode(raw);
        if (!decoded) {
            return fail(decoded.error().context("secret: \"rawValue\""));
        }
        s.rawValue = std::move(*decoded);
    }
    return s;
}

std::string toJson(const Secret& s) {
    json j = {{"name", s.name}};
    if (!s.ns.empty()) {
        j["namespace"] = s.ns;
    }
    if (s.rawValue) {
        j["rawValue"] = base64Encode(*s.rawValue);
    } else {
        j["value"] = s.value;
    }
    return j.dump();
}

std::string secretListJson(const std::vector<Secret>& list) {
    json j = json::array();
    for (const auto& s : list) {
        j.push_back({{"name", s.name}, {"namespace", s.ns}});
    }
    return j.dump();
}

Result<std::vector<Secret>> parseSecretList(std::string_view body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
        return fail(Code::InvalidArgument, "secret list: the body must be a JSON array");
    }
    std::vector<Secret> out;
    for (const auto& item : j) {
        if (!item.is_object()) {
            return fail(Code::InvalidArgument, "secret list: entries must be objects");
        }
        Secret s;
        TRY_ASSIGN(s.name, getString(item, "name", "secret list"));
        TRY_ASSIGN(s.ns, getString(item, "namespace", "secret list"));
        out.push_back(std::move(s));
    }
    return out;
}

Result<std::vector<std::string>> parseNamespaceList(std::string_view body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
        return fail(Code::InvalidArgument, "namespace list: the body must be a JSON array");
    }
    std::vector<std::string> names;
    for (const auto& name : j) {
        if (!name.is_string()) {
            return fail(Code::InvalidArgument, "namespace list: entries must be strings");
        }
        names.push_back(name.get<std::string>());
    }
    return names;
}

Result<NamespaceRequest> parseNamespaceRequest(std::string_view body) {
    constexpr std::string_view what = "namespace";
    TRY_ASSIGN(auto j, parseObject(body, what));
    NamespaceRequest r;
    TRY_ASSIGN(r.name, getString(j, "name", what));
    TRY_ASSIGN(r.labels, getMap(j, "labels", what));
    TRY_ASSIGN(r.annotations, getMap(j, "annotations", what));
    return r;
}

std::string toJson(const NamespaceRequest& r) {
    return json{{"name", r.name},
                {"labels", r.labels.empty() ? json::object() : json(r.labels)},
                {"annotations", r.annotations.empty() ? json::object() : json(r.annotations)}}
        .dump();
}

std::string toJson(const LogMessage& m) {
    return json{{"name", m.name},
                {"namespace", m.ns},
                {"instance", m.instance},
                {"timestamp", formatRfc3339(m.timestamp)},
                {"text", m.text}}
        .dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<LogMessage> parseLogMessage(std::string_view line) {
    constexpr std::string_view what = "log message";
    TRY_ASSIGN(auto j, parseObject(line, what));
    LogMessage m;
    TRY_ASSIGN(m.name, getString(j, "name", what));
    TRY_ASSIGN(m.ns, getString(j, "namespace", what));
    TRY_ASSIGN(m.instance, getString(j, "instance", what));
    TRY_ASSIGN(m.text, getString(j, "text", what));
    TRY_ASSIGN(auto ts, getString(j, "timestamp", what));
    if (!ts.empty()) {
        TRY_ASSIGN(m.timestamp, parseRfc3339(ts));
    }
    return m;
}

std::string toJson(const ProviderInfo& info) {
    return json{
        {"provider",
         {{"provider", info.provider},
          {"orchestration", info.orchestration},
          {"version",
           {{"sha", info.providerVersion.sha}, {"release", info.providerVersion.release}}}}},
        {"version", {{"sha", info.gatewayVersion.sha}, {"release", info.gatewayVersion.release}}},
        {"arch", info.arch}}
        .dump();
}

Result<ProviderInfo> parseProviderInfo(std::string_view body) {
    TRY_ASSIGN(auto j, parseObject(body, "info"));
    ProviderInfo info;
    try {
        const auto& p = j.at("provider");
        info.provider = p.value("provider", "");
        info.orchestration = p.value("orchestration", "");
        if (p.contains("version")) {
            info.providerVersion = {p["version"].value("sha", ""),
                                    p["version"].value("release", "")};
        }
        if (j.contains("version")) {
            info.gatewayVersion = {j["version"].value("sha", ""),
                                   j["version"].value("release", "")};
        }
        info.arch = j.value("arch", "");
    } catch (const nlohmann::json::exception& e) {
        return fail(Code::InvalidArgument, "info: {}", e.what());
    }
    return info;
}

namespace {

json timeOrNull(const std::optional<std::chrono::system_clock::time_point>& t) {
    return t ? json(formatRfc3339(*t)) : json(nullptr);
}

Result<std::optional<std::chrono::system_clock::time_point>> getTime(const json& j,
                                                                     const char* key) {
    if (!j.contains(key) || j[key].is_null()) {
        return std::optional<std::chrono::system_clock::time_point>();
    }
    if (!j[key].is_string()) {
        return fail(Code::InvalidArgument, "trigger: {} must be a string", key);
    }
    TRY_ASSIGN(auto t, withContext(parseRfc3339(j[key].get<std::string>()), key));
    return std::optional(t);
}

} // namespace

std::string toJson(const std::vector<TriggerStatus>& list) {
    json out = json::array();
    for (const auto& t : list) {
        json recent = json::array();
        for (const auto& r : t.recentRuns) {
            recent.push_back(
                {{"at", formatRfc3339(r.at)}, {"callId", r.callId}, {"status", r.status}});
        }
        out.push_back({
            {"kind", t.kind},
            {"function", t.function},
            {"namespace", t.ns},
            {"trigger", t.spec},
            {"timeZone", t.timeZone},
            {"mode", t.mode},
            {"state", t.state},
            {"nextRun", timeOrNull(t.nextRun)},
            {"lastRun", timeOrNull(t.lastRun)},
            {"lastStatus", t.lastStatus},
            {"lastCallId", t.lastCallId},
            {"runs", t.runs},
            {"skipped", t.skipped},
            {"missed", t.missed},
            {"failed", t.failed},
            {"recentRuns", recent},
        });
    }
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<std::vector<TriggerStatus>> parseTriggerList(std::string_view body) {
    json j = json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
        return fail(Code::InvalidArgument, "trigger list: the body must be a JSON array");
    }
    std::vector<TriggerStatus> list;
    for (const auto& e : j) {
        if (!e.is_object()) {
            return fail(Code::InvalidArgument, "trigger list: entries must be objects");
        }
        TriggerStatus t;
        try {
            t.kind = e.value("kind", "");
            t.function = e.value("function", "");
            t.ns = e.value("namespace", "");
            t.spec = e.value("trigger", "");
            t.timeZone = e.value("timeZone", "");
            t.mode = e.value("mode", "");
            t.state = e.value("state", "");
            t.lastStatus = e.value("lastStatus", "");
            t.lastCallId = e.value("lastCallId", "");
            TRY_ASSIGN(t.runs, jsonNumber(e, "runs", uint64_t{0}, "trigger list"));
            TRY_ASSIGN(t.skipped, jsonNumber(e, "skipped", uint64_t{0}, "trigger list"));
            TRY_ASSIGN(t.missed, jsonNumber(e, "missed", uint64_t{0}, "trigger list"));
            TRY_ASSIGN(t.failed, jsonNumber(e, "failed", uint64_t{0}, "trigger list"));
        } catch (const json::exception& ex) {
            return fail(Code::InvalidArgument, "trigger list: {}", ex.what());
        }
        TRY_ASSIGN(t.nextRun, getTime(e, "nextRun"));
        TRY_ASSIGN(t.lastRun, getTime(e, "lastRun"));
        if (e.contains("recentRuns") && e["recentRuns"].is_array()) {
            for (const auto& r : e["recentRuns"]) {
                if (!r.is_object()) {
                    return fail(Code::InvalidArgument, "trigger list: runs must be objects");
                }
                TRY_ASSIGN(auto at, getTime(r, "at"));
                t.recentRuns.push_back({.at = at.value_or(std::chrono::system_clock::time_point{}),
                                        .callId = r.value("callId", ""),
                                        .status = r.value("status", "")});
            }
        }
        list.push_back(std::move(t));
    }
    return list;
}

} // namespace faasd::api
