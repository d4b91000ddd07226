#include "cli/client_verbs.hpp"

#include "api/json.hpp"
#include "cli/command.hpp"

#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <iterator>
#include <unistd.h>

namespace faasd::cli {

void addGatewayFlags(Command& cmd, GatewayFlags& flags) {
    cmd.option("-g,--gateway", flags.gateway,
               "gateway URL (default: the stack file's provider.gateway, OPENFAAS_URL, "
               "http://127.0.0.1:8080)");
    cmd.flag("--tls-no-verify", flags.tlsNoVerify, "do not verify the gateway's TLS certificate");
    cmd.option("--tls-ca", flags.tlsCa,
               "trust the CA certificates in this PEM file for the gateway's TLS (for one "
               "`faasd install --self-signed` made: <state dir>/tls/ca.pem)");
}

Result<GatewayOptions> gatewayOptions(const GatewayFlags& flags, std::string_view stackGateway,
                                      const config::Env& env) {
    GatewayOptions options;
    options.url = resolveGateway(flags.gateway, stackGateway, env);
    options.tlsVerify = !flags.tlsNoVerify;
    if (!flags.tlsCa.empty()) {
        std::error_code ec;
        if (!std::filesystem::is_regular_file(flags.tlsCa, ec)) {
            return fail(Code::InvalidArgument, "--tls-ca {}: {}", flags.tlsCa,
                        ec ? ec.message() : "not a file");
        }
        options.caFile = flags.tlsCa;
    }
    return options;
}

Result<GatewayClient> connectGateway(const GatewayFlags& flags, std::string_view stackGateway) {
    const auto env = config::processEnv();
    TRY_ASSIGN(auto options, gatewayOptions(flags, stackGateway, env));
    TRY_ASSIGN(auto file, credentialsFile(env));
    TRY_ASSIGN(options.credentials, loadCredentials(file, options.url));
    return GatewayClient(std::move(options));
}

KeyValues namespaceQuery(const std::string& ns) {
    return ns.empty() ? KeyValues{} : KeyValues{{"namespace", ns}};
}

namespace {

std::string showNamespace(const std::string& ns) {
    return ns.empty() ? "the default namespace" : "namespace " + ns;
}

} // namespace

Error functionError(const GatewayAnswer& answer, const std::string& what, const std::string& name,
                    const std::string& ns, const std::string& gateway) {
    if (answer.status == 404) {
        return Error(Code::NotFound,
                     fmt::format("{}: function {} not found in {}", what, name, showNamespace(ns)));
    }
    return answerError(answer, what, gateway);
}

void runVerb(const std::function<Result<void>()>& verb) {
    auto result = verb();
    if (!result) {
        std::fflush(stdout);
        std::string message = result.error().message();
        for (auto& c : message) {
            if (c == '\n' || c == '\r') {
                c = ' ';
            }
        }
        fmt::print(stderr, "faasd: {}\n", message);
        throw CommandFailed{1};
    }
}

Result<std::string> readStdin(std::string_view prompt) {
    if (::isatty(STDIN_FILENO) && !prompt.empty()) {
        fmt::print(stderr, "{}\n", prompt);
    }
    std::string data;
    char buf[65536];
    for (;;) {
        ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return fail(systemError("reading stdin", errno));
        }
        if (n == 0) {
            break;
        }
        data.append(buf, static_cast<size_t>(n));
    }
    return data;
}

std::string defaultStackFile(const std::string& path) {
    if (!path.empty()) {
        return path;
    }
    std::error_code ec;
    for (const char* name : {"stack.yml", "stack.yaml"}) {
        if (std::filesystem::exists(name, ec)) {
            return name;
        }
    }
    return {};
}

Result<config::Stack> loadStackFile(const std::string& path) {
    TRY_ASSIGN(auto stack, config::loadStack(path, config::processEnv()));
    for (const auto& warning : stack.warnings) {
        fmt::print(stderr, "faasd: warning: {}\n", warning);
    }
    return stack;
}

Result<SelectedStack> loadSelected(const std::string& path, std::string_view filter,
                                   std::string_view regex, std::string_view missing) {
    const std::string file = defaultStackFile(path);
    if (file.empty()) {
        return fail(Code::InvalidArgument, "{}", missing);
    }
    SelectedStack out;
    TRY_ASSIGN(out.stack, loadStackFile(file));
    TRY_ASSIGN(out.functions, config::selectFunctions(out.stack, filter, regex));
    return out;
}

std::string functionUrl(std::string_view gateway, std::string_view name, std::string_view ns) {
    if (ns.empty() || ns == api::kDefaultNamespace) {
        return fmt::format("{}/function/{}", gateway, name);
    }
    return fmt::format("{}/function/{}.{}", gateway, name, ns);
}

Result<void> deployFunction(GatewayClient& client, const api::FunctionDeployment& deployment) {
    fmt::print("Deploying: {}.\n", deployment.service);
    std::fflush(stdout);
    GatewayCall call{.method = "PUT",
                     .path = "/system/functions",
                     .body = api::toJson(deployment),
                     .contentType = "application/json"};
    TRY_ASSIGN(auto answer, client.send(call));
    if (answer.status == 404) {
        call.method = "POST";
        TRY_ASSIGN(answer, client.send(call));
    }
    const std::string what = "deploying " + deployment.service;
    if (!answer.ok()) {
        return fail(answerError(answer, what, client.url()));
    }
    fmt::print("Deployed. {} {}.\nURL: {}\n\n", answer.status,
               answer.status == 200 ? "OK" : "Accepted",
               functionUrl(client.url(), deployment.service, deployment.ns));
    return {};
}

Result<void> deployFunctions(GatewayClient& client,
                             const std::vector<api::FunctionDeployment>& deployments) {
    size_t failed = 0;
    std::optional<Error> only;
    for (const auto& d : deployments) {
        if (auto r = deployFunction(client, d); !r) {
            ++failed;
            const Code code = r.error().code();
            if (code == Code::Unavailable || code == Code::PermissionDenied) {
                return fail(std::move(r).error()); // the next would fail alike
            }
            if (deployments.size() == 1) {
                only = r.error();
            } else {
                std::fflush(stdout);
                fmt::print(stderr, "faasd: {}\n", r.error().message());
            }
        }
    }
    if (only) {
        return fail(std::move(*only));
    }
    if (failed > 0) {
        return fail(Code::Internal, "{} of {} functions failed to deploy", failed,
                    deployments.size());
    }
    return {};
}

} // namespace faasd::cli
