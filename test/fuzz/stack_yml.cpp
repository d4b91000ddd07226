// stack.yml as `faasd deploy -f` and `up` read it: ${VAR} substitution,
// OpenFaaS's schema, --filter, and each function's deployment.
#include "config/stack.hpp"
#include "input.hpp"

#include <cstddef>
#include <cstdint>
#include <filesystem>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    // The first line is a --filter, the rest the file.
    const auto parts = fuzz::splitLines(fuzz::asText(data, size), 1);
    const std::string_view filter = parts.size() > 1 ? parts.front() : std::string_view();
    const std::string_view text = parts.back();
    // A directory with nothing in it: environment_file entries are not found.
    static const std::filesystem::path dir =
        std::filesystem::temp_directory_path() / "faasd-fuzz-empty";
    static const bool made = std::filesystem::create_directories(dir) || true;
    (void)made;
    const config::Env env{{"USER", "fuzz"}, {"TAG", "latest"}, {"EMPTY", ""}};
    auto substituted = config::substituteEnv(text, env);
    if (!substituted) {
        return 0;
    }
    auto stack = config::parseStack(*substituted, "stack.yml", dir, env);
    if (!stack) {
        return 0;
    }
    for (const auto& fn : stack->functions) {
        (void)config::toDeployment(fn);
        (void)fn.locate("image");
        (void)stack->find(fn.name);
    }
    // fnmatch only: a regular expression from the input may take
    // exponential time in std::regex, which is the caller's own choice.
    (void)config::selectFunctions(*stack, filter, {});
    return 0;
}
