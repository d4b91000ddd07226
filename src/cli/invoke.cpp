// faasd invoke: calls a function through the gateway with the body read
// from stdin, and writes its answer to stdout.

#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct InvokeFlags {
    GatewayFlags gateway;
    std::string name;
    std::string ns;
    bool async = false;
    std::vector<std::string> headers;
    std::vector<std::string> query;
    std::string method = "POST";
    std::string contentType = "text/plain";
    std::string callbackUrl;
    bool statusCode = false;
};

Result<void> invoke(const InvokeFlags& f) {
    TRY(api::validateName("function name", f.name));
    if (!f.ns.empty()) {
        TRY(api::validateName("namespace", f.ns));
    }
    GatewayCall call;
    call.method = f.method;
    for (auto& c : call.method) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    if (f.async && call.method != "POST") {
        return fail(Code::InvalidArgument, "--async sends POST; it cannot use --method {}",
                    f.method);
    }
    for (const auto& h : f.headers) {
        TRY_ASSIGN(auto kv, splitKeyValue(h, "-H"));
        call.headers.push_back(std::move(kv));
    }
    for (const auto& q : f.query) {
        TRY_ASSIGN(auto kv, splitKeyValue(q, "--query"));
        call.query.push_back(std::move(kv));
    }
    if (!f.callbackUrl.empty()) {
        call.headers.emplace_back("X-Callback-Url", f.callbackUrl);
    }
    call.contentType = f.contentType;
    std::string target = percentEncode(f.name);
    if (!f.ns.empty()) {
        target += "." + percentEncode(f.ns);
    }
    call.path = (f.async ? "/async-function/" : "/function/") + target;
    TRY_ASSIGN(call.body, readStdin("Reading from STDIN - hit (Control + D) to stop."));

    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    TRY_ASSIGN(auto answer, client.send(call));
    if (f.statusCode) {
        fmt::print(stderr, "Status code: {}\n", answer.status);
    }
    const std::string what = "invoking " + f.name;
    // The gateway's own 404 (no such function) has no watchdog timing.
    if (answer.status == 404 && answer.header("X-Duration-Seconds").empty()) {
        return fail(Code::NotFound, "{}: function {} not found in {}", what, f.name,
                    f.ns.empty() ? std::string("the default namespace") : "namespace " + f.ns);
    }
    if (!answer.ok()) {
        return fail(answerError(answer, what, client.url()));
    }
    if (f.async) {
        fmt::print(stderr, "Function submitted asynchronously (call id {}).\n",
                   answer.header("X-Call-Id"));
        return {};
    }
    std::fwrite(answer.body.data(), 1, answer.body.size(), stdout);
    std::fflush(stdout);
    return {};
}

} // namespace

void addInvoke(Command& app) {
    auto& cmd = app.subcommand("invoke", "Invoke a function with the body read from stdin");
    auto f = std::make_shared<InvokeFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.positional("name", f->name, "function name").required();
    cmd.option("-n,--namespace", f->ns, "namespace (default: the gateway's)");
    cmd.flag("-a,--async", f->async, "queue the call and return at once (202)");
    cmd.option("-H,--header", f->headers, "request header KEY=VALUE (repeatable)");
    cmd.option("--query", f->query, "query parameter KEY=VALUE (repeatable)");
    cmd.option("-m,--method", f->method, "HTTP method (default POST)");
    cmd.option("--content-type", f->contentType, "Content-Type (default text/plain)");
    cmd.option("--callback-url", f->callbackUrl,
               "with --async: where to POST the function's answer");
    cmd.flag("--status-code", f->statusCode, "print the answer's status code on stderr");
    cmd.callback([f] { runVerb([&] { return invoke(*f); }); });
}

} // namespace faasd::cli
