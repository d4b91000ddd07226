#include "api/function_ref.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <unordered_map>

using namespace faasd::api;

TEST_CASE("a function ref parses and prints as name.namespace", "[function_ref]") {
    CHECK(FunctionRef::parse("say", "openfaas-fn") == FunctionRef{"say", "openfaas-fn"});
    CHECK(FunctionRef::parse("say.team", "openfaas-fn") == FunctionRef{"say", "team"});
    CHECK(FunctionRef::parse("a.b.c", "x") == FunctionRef{"a.b", "c"});
    CHECK(FunctionRef::parseView("say.team", "x") == FunctionRefView{"say", "team"});
    const FunctionRef ref{"say", "team"};
    CHECK(ref.qualified() == "say.team");
    CHECK(fmt::format("{}", ref) == "say.team");
    CHECK(fmt::format("{}", ref.view()) == "say.team");
    CHECK(FunctionRef::parse(ref.qualified(), "x") == ref);
}

TEST_CASE("a function ref is copied from a view and takes one in place", "[function_ref]") {
    const std::string text = "say.team";
    const FunctionRefView view = FunctionRef::parseView(text, "x");
    CHECK(FunctionRef::from(view) == FunctionRef{"say", "team"});
    FunctionRef reused{std::string(40, 'n'), std::string(40, 's')};
    const size_t capacity = reused.name.capacity();
    reused.assign(view);
    CHECK(reused == FunctionRef{"say", "team"});
    CHECK(reused.name.capacity() == capacity);
    const FunctionRefView back = reused; // converts without a copy
    CHECK(back.name.data() == reused.name.data());
}

TEST_CASE("maps keyed by function ref are looked up by view", "[function_ref]") {
    std::unordered_map<FunctionRef, int, FunctionRefHash, FunctionRefEqual> byRef;
    byRef.emplace(FunctionRef{"say", "dev"}, 1);
    byRef.emplace(FunctionRef{"say", "prod"}, 2);
    const std::string path = "say.prod";
    auto it = byRef.find(FunctionRef::parseView(path, "x"));
    REQUIRE(it != byRef.end());
    CHECK(it->second == 2);
    CHECK(byRef.find(FunctionRefView{"say", "other"}) == byRef.end());
    // The halves are hashed apart: a dot moved between them is another key.
    CHECK(FunctionRefHash{}(FunctionRefView{"a.b", "c"}) !=
          FunctionRefHash{}(FunctionRefView{"a", "b.c"}));
    CHECK(FunctionRefHash{}(FunctionRef{"say", "dev"}) ==
          std::hash<FunctionRef>{}(FunctionRef{"say", "dev"}));

    std::map<FunctionRef, int> ordered{{{"b", "ns"}, 2}, {{"a", "z"}, 1}, {{"a", "b"}, 0}};
    int expected = 0;
    for (const auto& [ref, n] : ordered) {
        CHECK(n == expected++); // by name, then namespace
    }
}
