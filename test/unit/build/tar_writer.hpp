#pragma once

// Writes ustar archives byte by byte, names and link targets exactly as
// given (no library cleaning them up), for the builder's upload tests.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace faasd::build::test {

class TarWriter {
public:
    TarWriter& file(std::string_view name, std::string_view data, unsigned mode = 0644) {
        header(name, '0', mode, data.size(), "");
        tar_ += data;
        pad();
        return *this;
    }
    TarWriter& dir(std::string_view name, unsigned mode = 0755) {
        header(name, '5', mode, 0, "");
        return *this;
    }
    TarWriter& symlink(std::string_view name, std::string_view target) {
        header(name, '2', 0777, 0, target);
        return *this;
    }
    TarWriter& hardlink(std::string_view name, std::string_view target) {
        header(name, '1', 0644, 0, target);
        return *this;
    }
    // typeflag '3' character device, '4' block device, '6' fifo.
    TarWriter& special(std::string_view name, char type) {
        header(name, type, 0644, 0, "");
        return *this;
    }
    TarWriter& config(std::string_view json) { return file("com.openfaas.docker.config", json); }

    // The archive with its end marker.
    std::string str() const { return tar_ + std::string(1024, '\0'); }

private:
    // width - 1 octal digits, then a NUL.
    static void octal(char* field, size_t width, uint64_t value) {
        for (size_t i = width - 1; i-- > 0; value >>= 3) {
            field[i] = static_cast<char>('0' + (value & 7));
        }
        field[width - 1] = '\0';
    }

    void header(std::string_view name, char type, unsigned mode, uint64_t size,
                std::string_view link) {
        char h[512] = {};
        std::memcpy(h, name.data(), std::min<size_t>(name.size(), 100));
        octal(h + 100, 8, mode);
        octal(h + 108, 8, 0);
        octal(h + 116, 8, 0);
        octal(h + 124, 12, size);
        octal(h + 136, 12, 0);
        h[156] = type;
        std::memcpy(h + 157, link.data(), std::min<size_t>(link.size(), 100));
        std::memcpy(h + 257, "ustar", 6);
        std::memcpy(h + 263, "00", 2);
        std::memset(h + 148, ' ', 8);
        unsigned sum = 0;
        for (unsigned char c : h) {
            sum += c;
        }
        octal(h + 148, 7, sum); // six digits, a NUL, then the space left there
        tar_.append(h, sizeof h);
    }

    void pad() { tar_.append((512 - tar_.size() % 512) % 512, '\0'); }

    std::string tar_;
};

inline constexpr std::string_view kConfig =
    R"({"image":"127.0.0.1:5000/say:latest","buildArgs":{"GO111":"on"},"platforms":["linux/amd64"],"skipPush":false})";

} // namespace faasd::build::test
