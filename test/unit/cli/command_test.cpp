#include "cli/command.hpp"

#include <catch2/catch.hpp>
#include <optional>

using namespace faasd::cli;
using Kind = ParseResult::Kind;

namespace {

// A small tree shaped like faasd's: options, flags, positionals, aliases and
// a group of subcommands.
struct App {
    Command root{"faasd", "the root"};
    std::string level = "info";
    std::string gateway;
    std::string ns;
    bool verbose = false;
    bool async = false;
    std::vector<std::string> env;
    std::string name;
    long tail = -1;
    std::optional<unsigned short> port;
    std::optional<std::string> literal;
    bool tlsVerify = true;
    std::string source;
    std::vector<std::string> ran;

    App() {
        root.requireSubcommand().version("1.2.3");
        root.option("--log-level", level, "debug, info, warn, error");

        auto& list = root.subcommand("list", "List functions");
        list.alias("ls");
        list.option("-g,--gateway", gateway, "gateway URL");
        list.option("-n,--namespace", ns, "namespace");
        list.flag("-v,--verbose", verbose, "show images");
        list.flag("-a,--async", async, "a second short flag");
        list.callback([this] { ran.push_back("list"); });

        auto& deploy = root.subcommand("deploy", "Deploy functions");
        deploy.option("-e,--env", env, "KEY=VALUE (repeatable)");
        deploy.option("--tls-verify", tlsVerify, "false: plain http").defaultText("true");
        deploy.option("--from-literal", literal, "the value");
        deploy.callback([this] { ran.push_back("deploy"); });

        auto& logs = root.subcommand("logs", "Print logs");
        logs.positional("name", name, "function name").required();
        logs.option("--tail", tail, "last N lines");
        logs.option("--port", port, "a port");
        logs.callback([this] { ran.push_back("logs"); });

        auto& group = root.subcommand("namespace", "Manage namespaces");
        group.alias("ns").requireSubcommand();
        auto& create = group.subcommand("create", "Create a namespace");
        create.positional("name", name, "namespace").required();
        create.option("-l,--label", env, "label KEY=VALUE (repeatable)");
        create.callback([this] { ran.push_back("namespace create"); });
        auto& nsList = group.subcommand("list", "List namespaces");
        nsList.alias("ls");
        nsList.callback([this] { ran.push_back("namespace list"); });

        auto& pull = root.subcommand("pull", "Pull templates");
        pull.positional("source", source, "git URL");
        pull.callback([this] { ran.push_back("pull"); });
    }

    ParseResult parse(std::vector<std::string> args) { return root.parse(args); }
};

std::string chosen(const ParseResult& r) {
    return r.path.empty() ? std::string() : r.path.back()->fullName();
}

} // namespace

TEST_CASE("a subcommand and its options in every form", "[command]") {
    App app;
    auto r = app.parse({"list", "--gateway", "http://a", "-n", "team", "-v"});
    REQUIRE(r.kind == Kind::Run);
    CHECK(chosen(r) == "faasd list");
    CHECK(app.gateway == "http://a");
    CHECK(app.ns == "team");
    CHECK(app.verbose);

    App eq;
    REQUIRE(eq.parse({"list", "--gateway=http://b", "-nteam2"}).kind == Kind::Run);
    CHECK(eq.gateway == "http://b");
    CHECK(eq.ns == "team2");
    CHECK_FALSE(eq.verbose);

    App shortValue;
    REQUIRE(shortValue.parse({"list", "-g", "http://c"}).kind == Kind::Run);
    CHECK(shortValue.gateway == "http://c");
}

TEST_CASE("aliases choose their command", "[command]") {
    App app;
    CHECK(chosen(app.parse({"ls"})) == "faasd list");
    CHECK(chosen(app.parse({"ns", "ls"})) == "faasd namespace list");
    CHECK(chosen(app.parse({"namespace", "list"})) == "faasd namespace list");
}

TEST_CASE("nested subcommands take their own positionals and options", "[command]") {
    App app;
    auto r = app.parse({"namespace", "create", "team-a", "-l", "a=b", "--label=c=d"});
    REQUIRE(r.kind == Kind::Run);
    REQUIRE(r.path.size() == 3);
    CHECK(r.path[1]->name() == "namespace");
    CHECK(app.name == "team-a");
    CHECK(app.env == std::vector<std::string>{"a=b", "c=d"});
}

TEST_CASE("a repeatable option collects each occurrence; '=' inside a value stays", "[command]") {
    App app;
    REQUIRE(app.parse({"deploy", "-e", "A=B=C", "--env=D=E", "-eF=G", "--env", "H="}).kind ==
            Kind::Run);
    CHECK(app.env == std::vector<std::string>{"A=B=C", "D=E", "F=G", "H="});
}

TEST_CASE("flags combine, and take an explicit boolean after '='", "[command]") {
    App app;
    REQUIRE(app.parse({"list", "-va"}).kind == Kind::Run);
    CHECK(app.verbose);
    CHECK(app.async);

    App off;
    off.verbose = true;
    REQUIRE(off.parse({"list", "--verbose=false"}).kind == Kind::Run);
    CHECK_FALSE(off.verbose);
}

TEST_CASE("boolean, integer and optional values", "[command]") {
    App app;
    REQUIRE(app.parse({"deploy", "--tls-verify", "false", "--from-literal", ""}).kind == Kind::Run);
    CHECK_FALSE(app.tlsVerify);
    REQUIRE(app.literal.has_value());
    CHECK(app.literal->empty());

    App unset;
    REQUIRE(unset.parse({"deploy", "--tls-verify=TRUE"}).kind == Kind::Run);
    CHECK(unset.tlsVerify);
    CHECK_FALSE(unset.literal.has_value());

    App logs;
    REQUIRE(logs.parse({"logs", "fn", "--tail", "-1", "--port", "8081"}).kind == Kind::Run);
    CHECK(logs.tail == -1);
    REQUIRE(logs.port.has_value());
    CHECK(*logs.port == 8081);

    App zero;
    REQUIRE(zero.parse({"logs", "--tail=0", "fn"}).kind == Kind::Run);
    CHECK(zero.tail == 0);
    CHECK_FALSE(zero.port.has_value());
}

TEST_CASE("positionals: required, optional, and words after --", "[command]") {
    App app;
    REQUIRE(app.parse({"logs", "fn"}).kind == Kind::Run);
    CHECK(app.name == "fn");

    App dash;
    REQUIRE(dash.parse({"logs", "--", "-odd-name"}).kind == Kind::Run);
    CHECK(dash.name == "-odd-name");

    App optional;
    REQUIRE(optional.parse({"pull"}).kind == Kind::Run);
    CHECK(optional.source.empty());
    REQUIRE(optional.parse({"pull", "https://git/x#main"}).kind == Kind::Run);
    CHECK(optional.source == "https://git/x#main");
}

TEST_CASE("the root's options work before and after the subcommand", "[command]") {
    App app;
    REQUIRE(app.parse({"--log-level", "debug", "list"}).kind == Kind::Run);
    CHECK(app.level == "debug");
    REQUIRE(app.parse({"list", "--log-level=warn"}).kind == Kind::Run);
    CHECK(app.level == "warn");
}

TEST_CASE("usage errors are one line naming the argument and the command", "[command]") {
    App app;
    auto error = [&](std::vector<std::string> args) {
        auto r = app.parse(std::move(args));
        CHECK(r.kind == Kind::Error);
        CHECK(r.text.find('\n') == std::string::npos);
        return r.text;
    };
    CHECK(error({"list", "--foo"}) == "faasd: list: unknown option --foo (see faasd list --help)");
    CHECK(error({"list", "-x"}) == "faasd: list: unknown option -x (see faasd list --help)");
    CHECK(error({"--foo"}) == "faasd: unknown option --foo (see faasd --help)");
    CHECK(error({"list", "--gateway"}) ==
          "faasd: list: --gateway needs a value (see faasd list --help)");
    CHECK(error({"list", "-g", "--verbose"}) ==
          "faasd: list: -g needs a value (see faasd list --help)");
    CHECK(error({"logs"}) == "faasd: logs: missing NAME (see faasd logs --help)");
    CHECK(error({"logs", "a", "b"}) ==
          "faasd: logs: unexpected argument b (see faasd logs --help)");
    CHECK(error({"list", "extra"}) ==
          "faasd: list: unexpected argument extra (see faasd list --help)");
    CHECK(error({"nope"}) == "faasd: unknown command nope (see faasd --help)");
    CHECK(error({"ns", "nope"}) ==
          "faasd: namespace: unknown command nope (see faasd namespace --help)");
    CHECK(error({}) == "faasd: missing command: one of list, deploy, logs, namespace, pull "
                       "(see faasd --help)");
    CHECK(error({"namespace"}) == "faasd: namespace: missing command: one of create, list "
                                  "(see faasd namespace --help)");
    CHECK(error({"namespace", "create"}) ==
          "faasd: namespace create: missing NAME (see faasd namespace create --help)");
    CHECK(error({"logs", "fn", "--tail", "ten"}) ==
          "faasd: logs: --tail ten: expected an integer (see faasd logs --help)");
    CHECK(error({"logs", "fn", "--port=70000"}) ==
          "faasd: logs: --port 70000: expected an integer from 0 to 65535 (see faasd logs --help)");
    CHECK(error({"deploy", "--tls-verify", "maybe"}) ==
          "faasd: deploy: --tls-verify maybe: expected true or false (see faasd deploy --help)");
}

TEST_CASE("a required option is checked", "[command]") {
    Command root("tool", "a tool");
    std::string image;
    root.option("-i,--image", image, "the image").required();
    CHECK(root.parse({}).text == "tool: missing option -i,--image (see tool --help)");
    CHECK(root.parse({"--image", "x"}).kind == Kind::Run);
    CHECK(image == "x");
}

TEST_CASE("help lists options, arguments, aliases and commands", "[command]") {
    App app;
    auto root = app.parse({"--help"});
    REQUIRE(root.kind == Kind::Help);
    CHECK_THAT(root.text, Catch::Contains("--log-level TEXT"));
    CHECK_THAT(root.text, Catch::Contains("--version"));
    CHECK_THAT(root.text, Catch::Contains("list, ls"));
    CHECK_THAT(root.text, Catch::Contains("namespace, ns"));
    CHECK_THAT(root.text, Catch::Contains("Deploy functions"));

    auto list = app.parse({"ls", "-h"});
    REQUIRE(list.kind == Kind::Help);
    CHECK_THAT(list.text, Catch::Contains("Usage: faasd list [OPTIONS]"));
    CHECK_THAT(list.text, Catch::Contains("-g,--gateway TEXT"));
    CHECK_THAT(list.text, Catch::Contains("gateway URL"));
    CHECK_THAT(list.text, Catch::Contains("-v,--verbose"));
    CHECK_THAT(list.text, Catch::Contains("Aliases: ls"));

    auto logs = app.parse({"logs", "--help"});
    REQUIRE(logs.kind == Kind::Help);
    CHECK_THAT(logs.text, Catch::Contains("Usage: faasd logs [OPTIONS] NAME"));
    CHECK_THAT(logs.text, Catch::Contains("function name (required)"));
    CHECK_THAT(logs.text, Catch::Contains("--tail INT"));

    auto deploy = app.parse({"deploy", "--help"});
    CHECK_THAT(deploy.text, Catch::Contains("--tls-verify BOOL"));
    CHECK_THAT(deploy.text, Catch::Contains("[default: true]"));

    auto group = app.parse({"namespace", "--help"});
    REQUIRE(group.kind == Kind::Help);
    CHECK_THAT(group.text, Catch::Contains("Usage: faasd namespace [OPTIONS] COMMAND"));
    CHECK_THAT(group.text, Catch::Contains("create"));
    CHECK_THAT(group.text, Catch::Contains("list, ls"));
}

TEST_CASE("--version answers on the root", "[command]") {
    App app;
    auto r = app.parse({"--version"});
    CHECK(r.kind == Kind::Version);
    CHECK(r.text == "1.2.3");
}

TEST_CASE("run: callbacks of the chosen command, hooks, exit codes", "[command]") {
    App app;
    CHECK(app.root.run({"ns", "create", "x"}) == 0);
    CHECK(app.ran == std::vector<std::string>{"namespace create"});

    App bad;
    CHECK(bad.root.run({"list", "--foo"}) == 2);
    CHECK(bad.ran.empty());

    App hooked;
    hooked.root.onParsed([&] { return hooked.level == "loud" ? "--log-level loud: unknown" : ""; });
    CHECK(hooked.root.run({"--log-level", "loud", "list"}) == 2);
    CHECK(hooked.ran.empty());
    CHECK(hooked.root.run({"--log-level", "debug", "list"}) == 0);
    CHECK(hooked.ran == std::vector<std::string>{"list"});

    Command failing("tool", "a tool");
    failing.callback([] { throw CommandFailed{3}; });
    CHECK(failing.run(std::vector<std::string>{}) == 3);

    App help;
    CHECK(help.root.run({"list", "--help"}) == 0);
    CHECK(help.ran.empty());
}
