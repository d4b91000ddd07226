// faasd logs: a function's log lines from the gateway's /system/logs
// (NDJSON), printed as they arrive.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct LogsFlags {
    GatewayFlags gateway;
    std::string name;
    std::string ns;
    std::string instance;
    bool follow = false;
    std::string since;
    int64_t tail = -1;
    std::string output = "plain";
};

// "10m" (a duration back from now) or an RFC 3339 time -> RFC 3339.
Result<std::string> sinceTime(const std::string& since) {
    if (auto duration = config::parseDuration(since)) {
        return api::formatRfc3339(std::chrono::system_clock::now() - *duration);
    }
    if (auto tp = api::parseRfc3339(since)) {
        return api::formatRfc3339(*tp);
    }
    return fail(Code::InvalidArgument,
                "--since {}: expected a duration (30s, 10m, 2h) or an RFC 3339 time", since);
}

Result<void> printLine(std::string_view line, const std::string& output) {
    if (line.empty()) {
        return {};
    }
    if (output == "json") {
        fmt::print("{}\n", line);
        std::fflush(stdout);
        return {};
    }
    TRY_ASSIGN(auto m, withContext(api::parseLogMessage(line), "the gateway's log stream"));
    std::string_view text = m.text;
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.remove_suffix(1);
    }
    if (output == "text") {
        fmt::print("{}\n", text);
    } else {
        fmt::print("{} {} ({}) {}\n", api::formatRfc3339(m.timestamp), m.name, m.instance, text);
    }
    std::fflush(stdout);
    return {};
}

Result<void> logs(const LogsFlags& f) {
    TRY(api::validateName("function name", f.name));
    if (f.output != "plain" && f.output != "text" && f.output != "json") {
        return fail(Code::InvalidArgument, "--output {}: expected plain, text or json", f.output);
    }
    if (f.tail < -1) {
        return fail(Code::InvalidArgument, "--tail {}: expected a number of lines, or -1 for all",
                    f.tail);
    }
    KeyValues query{{"name", f.name},
                    {"tail", std::to_string(f.tail)},
                    {"follow", f.follow ? "true" : "false"}};
    if (!f.ns.empty()) {
        query.emplace_back("namespace", f.ns);
    }
    if (!f.instance.empty()) {
        query.emplace_back("instance", f.instance);
    }
    if (!f.since.empty()) {
        TRY_ASSIGN(auto since, sinceTime(f.since));
        query.emplace_back("since", since);
    }
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    std::string pending;
    std::optional<Error> lineError;
    GatewayCall call{.path = "/system/logs", .query = query};
    call.onBody = [&](std::string_view chunk) {
        pending.append(chunk);
        size_t start = 0;
        for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
            if (auto r = printLine(std::string_view(pending).substr(start, nl - start), f.output);
                !r) {
                lineError = std::move(r).error();
                return false;
            }
        }
        pending.erase(0, start);
        return true;
    };
    if (f.follow) {
        call.readTimeout = std::chrono::hours(24 * 365);
    }
    TRY_ASSIGN(auto answer, client.send(call));
    if (lineError) {
        return fail(std::move(*lineError));
    }
    const std::string what = "logs of " + f.name;
    if (answer.status == 404) {
        return fail(Code::NotFound, "{}: function {} not found in {}", what, f.name,
                    f.ns.empty() ? std::string("the default namespace") : "namespace " + f.ns);
    }
    if (!answer.ok()) {
        return fail(answerError(answer, what, client.url()));
    }
    TRY(printLine(pending, f.output));
    return {};
}

} // namespace

void addLogs(Command& app) {
    auto& cmd = app.subcommand("logs", "Print a function's logs");
    auto f = std::make_shared<LogsFlags>();
    addGatewayFlags(cmd, f->gateway);
    cmd.positional("name", f->name, "function name").required();
    cmd.option("-n,--namespace", f->ns, "namespace (default: the gateway's)");
    cmd.option("--instance", f->instance, "only this replica's lines");
    cmd.flag("--follow", f->follow, "keep printing new lines until interrupted");
    cmd.option("--since", f->since, "only lines since a duration ago (10m) or a time");
    cmd.option("--tail", f->tail, "only the last N lines (-1: all)");
    cmd.option("-o,--output", f->output, "plain (time, name, instance, text), text or json");
    cmd.callback([f] { runVerb([&] { return logs(*f); }); });
}

} // namespace faasd::cli
