// A build context tar as the function builder API receives it: extracted
// into an empty folder with path traversal, links and sizes checked. The
// extraction must leave nothing outside that folder, and no link in it
// may lead out of it.
#include "build/context_tar.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string_view>
#include <unistd.h>

namespace fs = std::filesystem;

namespace {

// Every path under dir resolves inside dir.
bool contained(const fs::path& dir) {
    const fs::path root = fs::canonical(dir);
    std::error_code ec;
    for (fs::recursive_directory_iterator it(root, fs::directory_options::none, ec), end;
         !ec && it != end; it.increment(ec)) {
        std::error_code rec;
        const fs::path real = fs::weakly_canonical(it->path(), rec);
        if (rec) {
            continue; // a loop of links: nothing outside is reached
        }
        auto rel = real.lexically_relative(root);
        if (rel.empty() || *rel.begin() == "..") {
            return false;
        }
    }
    return true;
}

const fs::path& scratchDir() {
    static const fs::path dir =
        fs::temp_directory_path() / ("faasd-fuzz-tar-" + std::to_string(::getpid()));
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    // <scratch>/outside/ must stay as it is; <scratch>/in/ takes the tar.
    static const fs::path scratch = [] {
        fs::remove_all(scratchDir());
        fs::create_directories(scratchDir() / "outside");
        std::atexit([] { fs::remove_all(scratchDir()); });
        return scratchDir();
    }();
    const fs::path in = scratch / "in";
    fs::remove_all(in);
    fs::create_directory(in);

    const std::string_view tar(reinterpret_cast<const char*>(data), size);
    (void)build::extractContextTar(tar, in, 1 << 20);
    if (!fs::is_empty(scratch / "outside") || !contained(in)) {
        __builtin_trap();
    }
    for (const auto& entry : fs::directory_iterator(scratch)) {
        if (entry.path() != in && entry.path() != scratch / "outside") {
            __builtin_trap();
        }
    }
    fs::remove_all(in);
    return 0;
}
