// A template's template.yml as `faasd build` and `template pull` read it:
// OpenFaaS's keys, faasd's host recipe, the older top-level dialect, and
// the packages a function's build options add.
#include "build/template.hpp"

#include <cstddef>
#include <cstdint>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    auto parsed = build::parseTemplate(text, "template.yml", "/nonexistent/template/fuzz");
    if (!parsed) {
        return 0;
    }
    std::vector<std::string> names;
    for (const auto& option : parsed->buildOptions) {
        names.push_back(option.name);
    }
    names.push_back("missing");
    (void)build::additionalPackages(*parsed, names);
    return 0;
}
