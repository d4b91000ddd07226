#include "common/files.hpp"
#include "provider/secrets.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace faasd;
using namespace faasd::provider;

namespace {
mode_t modeOf(const std::filesystem::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}
} // namespace

TEST_CASE("secrets: create, read, update, list, remove with clear errors", "[provider][secrets]") {
    auto dir = TempDir::create("faasd-secrets-").value();
    SecretStore store(dir.path() / "secrets");
    REQUIRE(store.create("openfaas-fn", "api-key", std::string("s3cr\0t", 6)));
    CHECK(store.read("openfaas-fn", "api-key").value() == std::string("s3cr\0t", 6));
    CHECK(modeOf(dir.path() / "secrets" / "openfaas-fn" / "api-key") == 0600);
    CHECK(modeOf(dir.path() / "secrets" / "openfaas-fn") == 0700);

    auto again = store.create("openfaas-fn", "api-key", "x");
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::AlreadyExists);

    REQUIRE(store.update("openfaas-fn", "api-key", "new"));
    CHECK(store.read("openfaas-fn", "api-key").value() == "new");
    auto missing = store.update("openfaas-fn", "nope", "x");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);

    REQUIRE(store.create("openfaas-fn", "b", "2"));
    CHECK(store.list("openfaas-fn").value() == std::vector<std::string>{"api-key", "b"});
    CHECK(store.list("other").value().empty());

    auto bad = store.create("openfaas-fn", "../escape", "x");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::InvalidArgument);

    const auto copies = dir.path() / "fn" / "secrets";
    REQUIRE(store.materialize("openfaas-fn", {"api-key", "b"}, copies, User{0, 0}));
    CHECK(readFile(copies / "b").value() == "2");
    CHECK(modeOf(copies / "b") == 0400);
    CHECK(modeOf(copies) == 0500);

    REQUIRE(store.remove("openfaas-fn", "b"));
    auto gone = store.remove("openfaas-fn", "b");
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code() == Code::NotFound);
    CHECK_FALSE(store.exists("openfaas-fn", "b"));
}
