#include "common/files.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace faasd;

TEST_CASE("writeFileAtomic writes, replaces and sets the mode", "[files]") {
    auto dir = TempDir::create("faasd-files-");
    REQUIRE(dir);
    auto path = dir->path() / "secret";
    REQUIRE(writeFileAtomic(path, "one", 0600));
    REQUIRE(writeFileAtomic(path, "two", 0600));
    CHECK(readFile(path).value() == "two");
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    CHECK_FALSE(std::filesystem::exists(path.string() + ".tmp"));
}

TEST_CASE("readFile of a missing file names it", "[files]") {
    auto r = readFile("/nonexistent/faasd/file");
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::NotFound);
    CHECK(r.error().message().find("/nonexistent/faasd/file") != std::string::npos);
}

TEST_CASE("TempDir removes its tree", "[files]") {
    std::filesystem::path p;
    {
        auto dir = TempDir::create("faasd-tmp-");
        REQUIRE(dir);
        p = dir->path();
        std::filesystem::create_directories(p / "a" / "b");
        REQUIRE(writeFileAtomic(p / "a" / "b" / "c", "x"));
    }
    CHECK_FALSE(std::filesystem::exists(p));
}
