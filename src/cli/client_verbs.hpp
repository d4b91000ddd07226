#pragma once

// What the client verbs (deploy, list, describe, invoke, remove, logs,
// secret, namespace, login, logout) share: the gateway flags, connecting
// with stored credentials, one-line error reporting, and deploying.

#include "api/types.hpp"
#include "cli/gateway_client.hpp"
#include "common/error.hpp"
#include "config/stack.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::cli {

class Command;

struct GatewayFlags {
    std::string gateway; // -g/--gateway
    bool tlsNoVerify = false;
    std::string tlsCa; // a PEM file of CA certificates to trust instead of the system's
};

// Adds -g/--gateway, --tls-no-verify and --tls-ca to cmd.
void addGatewayFlags(Command& cmd, GatewayFlags& flags);

// The gateway the flags, the stack file's provider.gateway and OPENFAAS_URL
// name, and how to check its certificate; no credentials.
Result<GatewayOptions> gatewayOptions(const GatewayFlags& flags, std::string_view stackGateway,
                                      const config::Env& env);

// A client for the gateway the flags, the stack file's provider.gateway and
// OPENFAAS_URL name, with the credentials `faasd login` stored for it.
Result<GatewayClient> connectGateway(const GatewayFlags& flags, std::string_view stackGateway = {});

// Runs a verb: on error prints "faasd: <message>" as one line on stderr and
// ends the command with exit code 1.
void runVerb(const std::function<Result<void>()>& verb);

// All of stdin; prints prompt on stderr first when stdin is a terminal.
Result<std::string> readStdin(std::string_view prompt);

// The stack file to use: path when given, else ./stack.yml or ./stack.yaml
// when present, else empty.
std::string defaultStackFile(const std::string& path);

// Loads a stack file with the process environment, printing its warnings.
Result<config::Stack> loadStackFile(const std::string& path);

// A stack file (path, else ./stack.yml) and its functions that match filter
// or regex; InvalidArgument with `missing` as the message when there is no
// file.
struct SelectedStack {
    config::Stack stack;
    std::vector<config::StackFunction> functions;
};
Result<SelectedStack> loadSelected(const std::string& path, std::string_view filter,
                                   std::string_view regex, std::string_view missing);

// ?namespace=ns, or nothing for the gateway's default namespace.
KeyValues namespaceQuery(const std::string& ns);

// An answer about a named function as an error: a 404 reads "WHAT: function
// NAME not found in namespace NS" (or "the default namespace").
Error functionError(const GatewayAnswer& answer, const std::string& what, const std::string& name,
                    const std::string& ns, const std::string& gateway);

// http://gw/function/name[.ns]
std::string functionUrl(std::string_view gateway, std::string_view name, std::string_view ns);

// Deploys one function: PUT /system/functions, then POST when the gateway
// answers 404 (the function is new), like faas-cli. Prints
// "Deployed. 202 Accepted." and the URL.
Result<void> deployFunction(GatewayClient& client, const api::FunctionDeployment& deployment);

// Deploys each, continuing past failures; the error counts the failures.
Result<void> deployFunctions(GatewayClient& client,
                             const std::vector<api::FunctionDeployment>& deployments);

} // namespace faasd::cli
