#include "cni_fixture.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <thread>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("after a restart, leaked attachments are listed and deleted with their own config",
          "[cni]") {
    CniFixture f;
    {
        auto before = f.make();
        REQUIRE(before.attach("say-1", f.netns.path()));
        REQUIRE(before.attach("say-2", f.netns.path()));
        // The daemon dies here without detaching.
    }
    // It comes back with a changed network: one more plugin.
    f.fakes.install("fakeextra");
    f.list.plugins.push_back(json{{"type", "fakeextra"}});
    auto after = f.make();
    auto leaked = after.attachments();
    REQUIRE(leaked);
    REQUIRE(leaked->size() == 2);
    CHECK((*leaked)[0].id == "say-1");
    CHECK((*leaked)[1].id == "say-2");
    CHECK((*leaked)[1].ip == "10.88.0.5");

    for (const auto& a : *leaked) {
        REQUIRE(after.detach(a.id));
    }
    CHECK(f.fakes.calls() == Calls{"DEL fakefw", "DEL fakebridge", "DEL loopback", "DEL fakefw",
                                   "DEL fakebridge", "DEL loopback"});
    CHECK(f.fakes.stdinOf(0)["prevResult"] == f.result);
    auto none = after.attachments();
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("check runs CHECK with the cached result", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    auto unknown = cni.check("say-1", f.netns.path());
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code() == Code::NotFound);
    CHECK(unknown.error().message() == "checking say-1 on fk0: not attached");

    REQUIRE(cni.attach("say-1", f.netns.path()));
    f.fakes.clearCalls();
    REQUIRE(cni.check("say-1"));
    CHECK(f.fakes.calls() == Calls{"CHECK fakebridge", "CHECK fakefw"});
    CHECK(f.fakes.stdinOf(0)["prevResult"] == f.result);

    f.fakes.setError("fakefw", "CHECK", {{"code", 999}, {"msg", "rule missing"}});
    auto broken = cni.check("say-1");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message() ==
          "checking say-1 on fk0: fakefw plugin: rule missing (CNI error 999)");
}

TEST_CASE("attaches of different ids run at once", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    std::vector<std::thread> threads;
    std::vector<bool> ok(6, false);
    for (size_t i = 0; i < ok.size(); ++i) {
        threads.emplace_back(
            [&, i] { ok[i] = cni.attach("fn-" + std::to_string(i), f.netns.path()).has_value(); });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(std::all_of(ok.begin(), ok.end(), [](bool b) { return b; }));
    auto listed = cni.attachments();
    REQUIRE(listed);
    CHECK(listed->size() == ok.size());
    CHECK(f.fakes.attachmentCalls().size() == 3 * ok.size());
}

TEST_CASE("chained plugins run one at a time while first plugins overlap", "[cni]") {
    CniFixture f;
    f.fakes.setDelay("fakebridge", "ADD", "0.5");
    f.fakes.setDelay("fakefw", "ADD", "0.2");
    auto cni = f.make();
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back(
            [&, i] { CHECK(cni.attach("fn-" + std::to_string(i), f.netns.path())); });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::map<std::string, int> running, most;
    for (const auto& span : f.fakes.spans()) {
        auto space = span.find(' ');
        auto name = span.substr(space + 1, span.rfind(' ') - space - 1);
        running[name] += span.starts_with("start ") ? 1 : -1;
        most[name] = std::max(most[name], running[name]);
    }
    INFO(fmt::format("{}", fmt::join(f.fakes.spans(), "\n")));
    CHECK(most["fakefw"] == 1);
    CHECK(most["fakebridge"] > 1);
}

TEST_CASE("loading checks the conflist and its plugins", "[cni]") {
    CniFixture f;

    auto absent = Cni::load(f.config);
    REQUIRE_FALSE(absent);
    CHECK(absent.error().code() == Code::NotFound);

    std::filesystem::create_directories(f.config.confDir);
    REQUIRE(writeFileAtomic(f.config.conflistPath(), f.list.toJson().dump()));
    auto loaded = Cni::load(f.config);
    REQUIRE(loaded);
    CHECK(loaded->conflist().name == "fakenet");
    CHECK(f.fakes.calls() == Calls{"VERSION fakebridge", "VERSION fakefw", "VERSION loopback"});

    f.fakes.setVersions("fakefw", {"0.4.0"});
    auto old = Cni::create(f.config, f.list);
    REQUIRE_FALSE(old);
    CHECK(old.error().code() == Code::FailedPrecondition);
    CHECK(
        old.error().message() ==
        "loading CNI network fakenet: fakefw plugin does not support CNI 1.0.0 (it speaks 0.4.0)");

    std::filesystem::remove(f.fakes.dir() / "fakefw");
    auto missing = Cni::create(f.config, f.list);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message() ==
          "loading CNI network fakenet: fakefw plugin not found in " + f.fakes.dir().string());
}
