#include "catch_result.hpp"
#include "common/files.hpp"
#include "daemon/credentials.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace faasd;
using namespace faasd::daemon;

namespace {

config::DaemonConfig configIn(const TempDir& dir) {
    config::DaemonConfig c;
    c.stateDir = (dir.path() / "state").string();
    return c;
}

mode_t modeOf(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

bool isHex(const std::string& s) {
    return s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

} // namespace

TEST_CASE("credentials are made once, 0600 in a 0700 directory, then read back", "[daemon]") {
    auto dir = TempDir::create("faasd-daemon-test");
    REQUIRE(dir);
    const auto c = configIn(*dir);

    auto made = ensureCredentials(c);
    REQUIRE(made);
    CHECK(made->created);
    CHECK(made->payloadSecretCreated);
    CHECK(made->user == "admin");
    CHECK(made->password.size() == 40);
    CHECK(isHex(made->password));
    CHECK(made->payloadSecret.size() == 64);
    CHECK(isHex(made->payloadSecret));
    CHECK(modeOf(c.basicAuthUserFile()) == 0600);
    CHECK(modeOf(c.basicAuthPasswordFile()) == 0600);
    CHECK(modeOf(c.payloadSecretFile()) == 0600);
    CHECK(modeOf(c.stateDir + "/secrets") == 0700);
    CHECK(readFile(c.basicAuthPasswordFile()).value() == made->password);

    auto again = ensureCredentials(c);
    REQUIRE(again);
    CHECK_FALSE(again->created);
    CHECK_FALSE(again->payloadSecretCreated);
    CHECK(again->user == made->user);
    CHECK(again->password == made->password);
    CHECK(again->payloadSecret == made->payloadSecret);
}

TEST_CASE("credential files are read trimmed; a missing password keeps the user", "[daemon]") {
    auto dir = TempDir::create("faasd-daemon-test");
    REQUIRE(dir);
    const auto c = configIn(*dir);
    REQUIRE(ensureCredentials(c));

    REQUIRE(writeFileAtomic(c.basicAuthUserFile(), "ops\n", 0600));
    REQUIRE(writeFileAtomic(c.basicAuthPasswordFile(), "s3cret \r\n", 0600));
    REQUIRE(writeFileAtomic(c.payloadSecretFile(), "key\n", 0600));
    auto read = ensureCredentials(c);
    REQUIRE(read);
    CHECK_FALSE(read->created);
    CHECK(read->user == "ops");
    CHECK(read->password == "s3cret");
    CHECK(read->payloadSecret == "key");

    REQUIRE(writeFileAtomic(c.basicAuthPasswordFile(), "\n", 0600));
    REQUIRE(writeFileAtomic(c.payloadSecretFile(), "", 0600));
    auto remade = ensureCredentials(c);
    REQUIRE(remade);
    CHECK(remade->created);
    CHECK(remade->payloadSecretCreated);
    CHECK(remade->user == "ops");
    CHECK(remade->password.size() == 40);
    CHECK(remade->payloadSecret.size() == 64);
}
