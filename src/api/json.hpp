#pragma once

// JSON forms of the OpenFaaS wire types, with OpenFaaS's field names. Parsers
// validate shape and types and say which field is wrong; they never throw.

#include "api/types.hpp"
#include "common/error.hpp"

#include <string>
#include <string_view>

namespace faasd::api {

Result<FunctionDeployment> parseFunctionDeployment(std::string_view body);
std::string toJson(const FunctionDeployment& d);

// Labels and annotations are always objects; envVars, limits and requests
// are absent when empty; createdAt is RFC 3339.
std::string toJson(const FunctionStatus& s);
std::string toJson(const std::vector<FunctionStatus>& list);
Result<FunctionStatus> parseFunctionStatus(std::string_view body);
Result<std::vector<FunctionStatus>> parseFunctionStatusList(std::string_view body);

Result<ScaleRequest> parseScaleRequest(std::string_view body);
std::string toJson(const ScaleRequest& r);
Result<DeleteRequest> parseDeleteRequest(std::string_view body);
std::string toJson(const DeleteRequest& r);

// rawValue (base64) wins over value.
Result<Secret> parseSecret(std::string_view body);
std::string toJson(const Secret& s);
// A list: [{"name","namespace"}], never values.
std::string secretListJson(const std::vector<Secret>& list);
Result<std::vector<Secret>> parseSecretList(std::string_view body);

Result<NamespaceRequest> parseNamespaceRequest(std::string_view body);
// GET /system/namespaces: a JSON array of names.
Result<std::vector<std::string>> parseNamespaceList(std::string_view body);
std::string toJson(const NamespaceRequest& r);

std::string toJson(const LogMessage& m); // one NDJSON line, no newline
Result<LogMessage> parseLogMessage(std::string_view line);

std::string toJson(const ProviderInfo& info);
Result<ProviderInfo> parseProviderInfo(std::string_view body);

std::string toJson(const std::vector<TriggerStatus>& list);
Result<std::vector<TriggerStatus>> parseTriggerList(std::string_view body);

std::string formatRfc3339(std::chrono::system_clock::time_point tp);
Result<std::chrono::system_clock::time_point> parseRfc3339(std::string_view text);

} // namespace faasd::api
