// faasd triggers list: GET /system/triggers as a table.

#include "api/json.hpp"
#include "api/validate.hpp"
#include "cli/cli.hpp"
#include "cli/client_verbs.hpp"
#include "cli/command.hpp"

#include <fmt/format.h>
#include <memory>

namespace faasd::cli {

namespace {

struct TriggerFlags {
    GatewayFlags gateway;
    std::string ns; // empty: every namespace
};

std::string timeOrDash(const std::optional<std::chrono::system_clock::time_point>& t) {
    return t ? api::formatRfc3339(*t) : "-";
}

Result<void> listTriggers(const TriggerFlags& f) {
    KeyValues query;
    if (!f.ns.empty()) {
        TRY(api::validateName("namespace", f.ns));
        query = namespaceQuery(f.ns);
    }
    TRY_ASSIGN(auto client, connectGateway(f.gateway));
    TRY_ASSIGN(auto answer, client.send({.path = "/system/triggers", .query = query}));
    if (!answer.ok()) {
        return fail(answerError(answer, "listing triggers", client.url()));
    }
    TRY_ASSIGN(auto list,
               withContext(api::parseTriggerList(answer.body), "the gateway's trigger list"));
    if (list.empty()) {
        fmt::print("No triggers.\n");
        return {};
    }
    fmt::print("{:<28} {:<5} {:<22} {:<21} {:<21} {:<16} {:>6} {:>6} {:>6} {:>6}\n", "FUNCTION",
               "KIND", "TRIGGER", "NEXT RUN", "LAST RUN", "LAST STATUS", "RUNS", "SKIP", "MISS",
               "FAIL");
    for (const auto& t : list) {
        std::string spec = t.spec;
        if (t.kind == "cron" && !t.timeZone.empty() && t.timeZone != "UTC") {
            spec += " (" + t.timeZone + ")";
        }
        fmt::print("{:<28} {:<5} {:<22} {:<21} {:<21} {:<16} {:>6} {:>6} {:>6} {:>6}\n",
                   t.function + "." + t.ns, t.kind, spec, timeOrDash(t.nextRun),
                   timeOrDash(t.lastRun), t.lastStatus.empty() ? "-" : t.lastStatus, t.runs,
                   t.skipped, t.missed, t.failed);
    }
    return {};
}

} // namespace

void addTriggers(Command& app) {
    auto& cmd = app.subcommand("triggers", "Show the functions' cron and MQTT triggers");
    cmd.requireSubcommand();

    auto listed = std::make_shared<TriggerFlags>();
    auto& l = cmd.subcommand("list", "List triggers with their next and last runs and counts");
    l.alias("ls");
    addGatewayFlags(l, listed->gateway);
    l.option("-n,--namespace", listed->ns, "only this namespace (default: all)");
    l.callback([listed] { runVerb([&] { return listTriggers(*listed); }); });
}

} // namespace faasd::cli
