#include "common/random.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>

using faasd::randomHex;
using faasd::uuid4;

namespace {

bool isUuid4(const std::string& id) {
    if (id.size() != 36 || id[14] != '4') {
        return false;
    }
    if (std::string("89ab").find(id[19]) == std::string::npos) {
        return false;
    }
    for (size_t i = 0; i < id.size(); ++i) {
        const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash != (id[i] == '-')) {
            return false;
        }
        if (!dash && std::string("0123456789abcdef").find(id[i]) == std::string::npos) {
            return false;
        }
    }
    return true;
}

} // namespace

TEST_CASE("uuid4 gives well-formed, distinct ids, also across threads") {
    std::set<std::string> seen;
    for (int i = 0; i < 10000; ++i) {
        std::string id = uuid4();
        REQUIRE(isUuid4(id));
        seen.insert(std::move(id));
    }
    std::string other;
    std::thread([&] { other = uuid4(); }).join();
    CHECK(isUuid4(other));
    seen.insert(other);
    CHECK(seen.size() == 10001);
}

TEST_CASE("randomHex gives two hex digits per byte") {
    CHECK(randomHex(0).empty());
    const std::string a = randomHex(16);
    CHECK(a.size() == 32);
    CHECK(a.find_first_not_of("0123456789abcdef") == std::string::npos);
    CHECK(a != randomHex(16));
}
