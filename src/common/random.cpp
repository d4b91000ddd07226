#include "common/random.hpp"

#include <array>
#include <cerrno>
#include <cstdint>
#include <random>
#include <sys/random.h>
#include <vector>

namespace faasd {
namespace {

void fill(uint8_t* buf, size_t len) {
    size_t off = 0;
    while (off < len) {
        ssize_t n = ::getrandom(buf + off, len - off, 0);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            // getrandom(2) cannot fail on a kernel faasd supports.
            std::abort();
        }
        off += static_cast<size_t>(n);
    }
}

constexpr char kHex[] = "0123456789abcdef";

} // namespace

std::string randomHex(size_t bytes) {
    std::vector<uint8_t> buf(bytes);
    fill(buf.data(), buf.size());
    std::string out;
    out.reserve(bytes * 2);
    for (uint8_t b : buf) {
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
    }
    return out;
}

void appendUuid4(std::string& out) {
    thread_local std::mt19937_64 generator = [] {
        std::array<uint32_t, 16> seed;
        fill(reinterpret_cast<uint8_t*>(seed.data()), sizeof seed);
        std::seed_seq sequence(seed.begin(), seed.end());
        return std::mt19937_64(sequence);
    }();
    uint64_t hi = generator();
    uint64_t lo = generator();
    hi = (hi & ~0xf000ULL) | 0x4000ULL;             // version 4
    lo = (lo & ~(0xc0ULL << 56)) | (0x80ULL << 56); // variant 10xx
    // 32 hex digits, most significant first, with dashes after 8, 12, 16, 20.
    char id[36];
    size_t at = 36;
    auto digits = [&](uint64_t v, int count, int dashAfter1, int dashAfter2) {
        for (int i = 0; i < count; ++i) {
            if (i == dashAfter1 || i == dashAfter2) {
                id[--at] = '-';
            }
            id[--at] = kHex[v & 0xf];
            v >>= 4;
        }
    };
    // Written from the end: lo's 16 digits (a dash 12 digits in), then hi's
    // (dashes 4 and 8 digits in).
    digits(lo, 16, 12, -1);
    id[--at] = '-';
    digits(hi, 16, 4, 8);
    out.append(id, sizeof id);
}

std::string uuid4() {
    std::string out;
    appendUuid4(out);
    return out;
}

} // namespace faasd
