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
    uint8_t b[16];
    for (int half = 0; half < 2; ++half) {
        uint64_t v = generator();
        for (int i = 0; i < 8; ++i) {
            b[half * 8 + i] = static_cast<uint8_t>(v >> (8 * i));
        }
    }
    b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);
    b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);
    char id[36];
    size_t at = 0;
    for (int i = 0; i < 16; ++i) {
        if (i == 4 || i == 6 || i == 8 || i == 10) {
            id[at++] = '-';
        }
        id[at++] = kHex[b[i] >> 4];
        id[at++] = kHex[b[i] & 0xf];
    }
    out.append(id, sizeof id);
}

std::string uuid4() {
    std::string out;
    appendUuid4(out);
    return out;
}

} // namespace faasd
