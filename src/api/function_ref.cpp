#include "api/function_ref.hpp"

namespace faasd::api {

FunctionRefView FunctionRef::parseView(std::string_view text, std::string_view defaultNs) {
    auto dot = text.rfind('.');
    if (dot == std::string_view::npos) {
        return {text, defaultNs};
    }
    return {text.substr(0, dot), text.substr(dot + 1)};
}

FunctionRef FunctionRef::parse(std::string_view text, std::string_view defaultNs) {
    auto v = parseView(text, defaultNs);
    return {std::string(v.name), std::string(v.ns)};
}

std::string FunctionRef::qualified() const {
    std::string out;
    out.reserve(name.size() + 1 + ns.size());
    out.append(name).append(1, '.').append(ns);
    return out;
}

size_t FunctionRefHash::operator()(FunctionRefView ref) const noexcept {
    // The two halves hashed apart and mixed, so that ("a.b", "c") and
    // ("a", "b.c") differ.
    const size_t h1 = std::hash<std::string_view>{}(ref.name);
    const size_t h2 = std::hash<std::string_view>{}(ref.ns);
    return h1 ^ (h2 + 0x9e3779b97f4a7c15ULL + (h1 << 6) + (h1 >> 2));
}

} // namespace faasd::api
