#include "cli/namespace_list.hpp"

#include <nlohmann/json.hpp>

namespace faasd::cli {

Result<std::vector<std::string>> parseNamespaceList(std::string_view body) {
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_array()) {
        return fail(Code::Internal, "the gateway's namespace list is not a JSON array");
    }
    std::vector<std::string> names;
    for (const auto& name : j) {
        if (!name.is_string()) {
            return fail(Code::Internal, "the gateway's namespace list holds a non-string");
        }
        names.push_back(name.get<std::string>());
    }
    return names;
}

} // namespace faasd::cli
