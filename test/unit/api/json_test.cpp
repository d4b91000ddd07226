#include "api/json.hpp"
#include "catch_result.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace faasd;
using namespace faasd::api;
using nlohmann::json;

TEST_CASE("a FunctionDeployment parses with OpenFaaS field names", "[api]") {
    auto d = parseFunctionDeployment(R"({
        "service": "say", "image": "functions/alpine:latest", "namespace": "team",
        "envProcess": "cat", "envVars": {"A": "1"}, "constraints": ["x"],
        "secrets": ["s1"], "labels": null, "annotations": {"topic": "a\nb"},
        "limits": {"memory": "128Mi", "cpu": "100m"}, "requests": {"memory": "64Mi"},
        "readOnlyRootFilesystem": true})");
    REQUIRE(d);
    CHECK(d->service == "say");
    CHECK(d->ns == "team");
    CHECK(d->envVars.at("A") == "1");
    CHECK(d->labels.empty());
    CHECK(d->annotations.at("topic") == "a\nb");
    REQUIRE(d->limits);
    CHECK(d->limits->memory == "128Mi");
    CHECK(d->limits->cpu == "100m");
    CHECK(d->requests->cpu.empty());
    CHECK(d->readOnlyRootFilesystem);
}

TEST_CASE("broken deployments say which field is wrong", "[api]") {
    auto notJson = parseFunctionDeployment("{not json");
    REQUIRE_FALSE(notJson);
    CHECK(notJson.error().code() == Code::InvalidArgument);
    CHECK(notJson.error().message().find("not valid JSON") != std::string::npos);

    auto noService = parseFunctionDeployment(R"({"image":"x"})");
    REQUIRE_FALSE(noService);
    CHECK(noService.error().message().find("\"service\"") != std::string::npos);

    auto badEnv = parseFunctionDeployment(R"({"service":"a","image":"x","envVars":{"A":1}})");
    REQUIRE_FALSE(badEnv);
    CHECK(badEnv.error().message().find("envVars.A") != std::string::npos);

    auto badLabels = parseFunctionDeployment(R"({"service":"a","image":"x","labels":[]})");
    REQUIRE_FALSE(badLabels);
    CHECK(badLabels.error().message().find("\"labels\"") != std::string::npos);
}

TEST_CASE("FunctionStatus JSON follows what the certifier expects", "[api]") {
    FunctionStatus s;
    s.name = "say";
    s.image = "functions/alpine:latest";
    s.ns = "openfaas-fn";
    s.replicas = 2;
    s.availableReplicas = 1;
    auto j = json::parse(toJson(s));
    CHECK(j["labels"].is_object());
    CHECK(j["annotations"].is_object());
    CHECK_FALSE(j.contains("envVars"));
    CHECK_FALSE(j.contains("limits"));
    CHECK_FALSE(j.contains("requests"));
    CHECK(j["image"] == "functions/alpine:latest");
    CHECK(j["namespace"] == "openfaas-fn");
    CHECK(j["availableReplicas"] == 1);
    CHECK(j["invocationCount"].is_number());
    CHECK(j["createdAt"].get<std::string>().back() == 'Z');

    s.envVars = {{"A", "1"}};
    s.limits = Resources{"128Mi", ""};
    auto j2 = json::parse(toJson(s));
    CHECK(j2["envVars"]["A"] == "1");
    CHECK(j2["limits"] == json{{"memory", "128Mi"}});

    auto back = parseFunctionStatusList(toJson(std::vector<FunctionStatus>{s}));
    REQUIRE(back);
    REQUIRE(back->size() == 1);
    CHECK((*back)[0].limits->memory == "128Mi");
}

TEST_CASE("scale and delete requests", "[api]") {
    auto s = parseScaleRequest(R"({"serviceName":"say","replicas":3,"namespace":"x"})");
    REQUIRE(s);
    CHECK(s->replicas == 3);
    auto negative = parseScaleRequest(R"({"serviceName":"say","replicas":-1})");
    REQUIRE_FALSE(negative);
    CHECK(negative.error().message().find("negative") != std::string::npos);
    CHECK_FALSE(parseScaleRequest(R"({"serviceName":"say"})"));
    CHECK_FALSE(parseScaleRequest(R"({"serviceName":"say","replicas":1.5})"));

    auto d = parseDeleteRequest(R"({"functionName":"say","namespace":"x"})");
    REQUIRE(d);
    CHECK(d->functionName == "say");
    CHECK(d->ns == "x");
    CHECK_FALSE(parseDeleteRequest("{}"));
}

TEST_CASE("secrets: rawValue wins and lists carry no values", "[api]") {
    auto s = parseSecret(R"({"name":"k","value":"text","rawValue":"AAEC/w=="})");
    REQUIRE(s);
    CHECK(s->bytes() == std::string("\x00\x01\x02\xff", 4));
    auto plain = parseSecret(R"({"name":"k","value":"text"})");
    REQUIRE(plain);
    CHECK(plain->bytes() == "text");
    auto bad = parseSecret(R"({"name":"k","rawValue":"***"})");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("rawValue") != std::string::npos);

    Secret withValue{"k", "ns", "hidden", std::nullopt};
    auto list = secretListJson({withValue});
    CHECK(list.find("hidden") == std::string::npos);
    CHECK(json::parse(list) == json::parse(R"([{"name":"k","namespace":"ns"}])"));
}

TEST_CASE("log messages are one JSON object each", "[api]") {
    LogMessage m{"say", "openfaas-fn", "say-1", {}, "2026/11/25 10:00:00 Forking fprocess."};
    auto line = toJson(m);
    CHECK(line.find('\n') == std::string::npos);
    auto back = parseLogMessage(line);
    REQUIRE(back);
    CHECK(back->text == m.text);
    CHECK(back->instance == "say-1");
}

TEST_CASE("RFC 3339 times round-trip, with zones and fractions", "[api]") {
    auto t = parseRfc3339("2026-11-25T10:00:00.5Z");
    REQUIRE(t);
    CHECK(formatRfc3339(*t) == "2026-11-25T10:00:00.5Z");
    auto zoned = parseRfc3339("2026-11-25T12:00:00+02:00");
    REQUIRE(zoned);
    CHECK(formatRfc3339(*zoned) == "2026-11-25T10:00:00Z");
    CHECK_FALSE(parseRfc3339("yesterday"));
    CHECK_FALSE(parseRfc3339("2026-11-25T10:00:00"));
}

TEST_CASE("RFC 3339 times the clock cannot hold, or with a short zone, are refused", "[api]") {
    CHECK(parseRfc3339("2200-01-01T00:00:00Z"));
    CHECK_FALSE(parseRfc3339("99999-01-01T00:00:00Z"));
    CHECK_FALSE(parseRfc3339("65575451045-01-01T00:00:00Z"));
    CHECK_FALSE(parseRfc3339("1500-01-01T00:00:00Z"));
    CHECK_FALSE(parseRfc3339("2026-11-25T12:00:00+2:0"));
    CHECK_FALSE(parseRfc3339("2026-11-25T12:00:00+02"));
    CHECK_FALSE(parseRfc3339("2026-11-25T12:00:00+02:0x"));
}

TEST_CASE("info names a provider other than faasd", "[api]") {
    ProviderInfo info{"faasd-cpp", "containerd", {"abc", "0.1.0"}, {"abc", "0.1.0"}, "x86_64"};
    auto j = json::parse(toJson(info));
    CHECK(j["provider"]["provider"] == "faasd-cpp");
    CHECK(j["provider"]["version"]["release"] == "0.1.0");
    CHECK(j["arch"] == "x86_64");
    auto back = parseProviderInfo(toJson(info));
    REQUIRE(back);
    CHECK(back->orchestration == "containerd");
}

TEST_CASE("a trigger list round-trips, times as RFC 3339 or null", "[api]") {
    using namespace std::chrono;
    TriggerStatus t{.kind = "cron",
                    .function = "tick",
                    .ns = "openfaas-fn",
                    .spec = "@every 2s",
                    .timeZone = "UTC",
                    .mode = "async",
                    .state = "scheduled",
                    .nextRun = system_clock::time_point(seconds(1'780'000'002)),
                    .lastStatus = "completed (200)",
                    .lastCallId = "c1",
                    .runs = 3,
                    .skipped = 1,
                    .missed = 2,
                    .failed = 0,
                    .recentRuns = {{.at = system_clock::time_point(seconds(1'780'000'000)),
                                    .callId = "c1",
                                    .status = "completed (200)"}}};
    std::string text = toJson(std::vector<TriggerStatus>{t});
    CHECK(text.find(R"("lastRun":null)") != std::string::npos);
    CHECK(text.find(R"("trigger":"@every 2s")") != std::string::npos);
    auto parsed = parseTriggerList(text);
    REQUIRE(parsed);
    REQUIRE(parsed->size() == 1);
    const auto& back = parsed->front();
    CHECK(back.spec == "@every 2s");
    CHECK(back.nextRun == t.nextRun);
    CHECK_FALSE(back.lastRun);
    CHECK(back.runs == 3);
    CHECK(back.missed == 2);
    REQUIRE(back.recentRuns.size() == 1);
    CHECK(back.recentRuns[0].at == t.recentRuns[0].at);
    CHECK(back.recentRuns[0].status == "completed (200)");
    for (const char* bad : {"", "{}", "[1]", R"([{"nextRun":"yesterday"}])"}) {
        INFO(bad);
        auto wrong = parseTriggerList(bad);
        REQUIRE_FALSE(wrong);
        CHECK(wrong.error().code() == Code::InvalidArgument);
    }
}

TEST_CASE("counts that are not numbers their fields hold are refused", "[api]") {
    CHECK(parseFunctionStatus(R"({"name":"f","replicas":2.0,"invocationCount":3})"));
    for (const char* bad :
         {R"({"name":"f","replicas":-1})", R"({"name":"f","replicas":1e30})",
          R"({"name":"f","replicas":"2"})", R"({"name":"f","availableReplicas":-0.5})",
          R"({"name":"f","invocationCount":"many"})"}) {
        INFO(bad);
        auto wrong = parseFunctionStatus(bad);
        REQUIRE_FALSE(wrong);
        CHECK(wrong.error().code() == Code::InvalidArgument);
    }
    CHECK_FALSE(parseTriggerList(R"([{"function":"f","runs":1e300}])"));
    CHECK_FALSE(parseFunctionStatusList(R"([{"name":"f","replicas":-3}])"));
}

TEST_CASE("a namespace list is an array of names", "[api]") {
    auto names = parseNamespaceList(R"(["openfaas-fn","team-a"])");
    REQUIRE(names);
    CHECK(*names == std::vector<std::string>{"openfaas-fn", "team-a"});
    CHECK(parseNamespaceList("[]").value().empty());
    for (const char* bad : {"", "{}", "[\"a\",1]", "[\"a\""}) {
        INFO(bad);
        auto parsed = parseNamespaceList(bad);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code() == Code::InvalidArgument);
    }
}
