#pragma once
// A function's identity inside faasd: its name and its namespace. Maps,
// metrics keys, scaler and queue state are keyed by FunctionRef; the
// "name.namespace" string exists only at the edges (URLs, labels,
// Prometheus text, logs), made by qualified() and read by parse().

#include <cstddef>
#include <fmt/format.h>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace faasd::api {

// Borrowed form, for lookups on the invoke path without building strings.
struct FunctionRefView {
    std::string_view name;
    std::string_view ns;

    bool operator==(const FunctionRefView&) const = default;
};

struct FunctionRef {
    std::string name;
    std::string ns;

    // Splits "name.namespace" at the last '.'; no '.' means defaultNs.
    static FunctionRef parse(std::string_view text, std::string_view defaultNs);
    static FunctionRefView parseView(std::string_view text, std::string_view defaultNs);

    // An owning copy of a view.
    static FunctionRef from(FunctionRefView view) {
        return {std::string(view.name), std::string(view.ns)};
    }

    // "name.namespace".
    std::string qualified() const;
    FunctionRefView view() const { return {name, ns}; }
    operator FunctionRefView() const { return view(); }
    // Takes view's value, keeping the strings' capacity (for reused objects).
    void assign(FunctionRefView view) {
        name.assign(view.name);
        ns.assign(view.ns);
    }

    auto operator<=>(const FunctionRef&) const = default;
    bool operator==(const FunctionRef&) const = default;
};

// Hash and equality that accept either form, for unordered maps keyed by
// FunctionRef and looked up by FunctionRefView.
struct FunctionRefHash {
    using is_transparent = void;
    size_t operator()(FunctionRefView ref) const noexcept;
    size_t operator()(const FunctionRef& ref) const noexcept { return (*this)(ref.view()); }
};
struct FunctionRefEqual {
    using is_transparent = void;
    bool operator()(FunctionRefView a, FunctionRefView b) const noexcept { return a == b; }
    bool operator()(const FunctionRef& a, FunctionRefView b) const noexcept {
        return a.view() == b;
    }
    bool operator()(FunctionRefView a, const FunctionRef& b) const noexcept {
        return a == b.view();
    }
    bool operator()(const FunctionRef& a, const FunctionRef& b) const noexcept { return a == b; }
};

// A hash map keyed by function, looked up by FunctionRef or FunctionRefView.
template <typename T>
using FunctionMap = std::unordered_map<FunctionRef, T, FunctionRefHash, FunctionRefEqual>;

} // namespace faasd::api

template <> struct std::hash<faasd::api::FunctionRef> {
    size_t operator()(const faasd::api::FunctionRef& ref) const noexcept {
        return faasd::api::FunctionRefHash{}(ref);
    }
};

// fmt::format("{}", ref) -> "name.namespace".
template <> struct fmt::formatter<faasd::api::FunctionRefView> : fmt::formatter<std::string_view> {
    template <typename Context> auto format(faasd::api::FunctionRefView ref, Context& ctx) const {
        return fmt::format_to(ctx.out(), "{}.{}", ref.name, ref.ns);
    }
};
template <>
struct fmt::formatter<faasd::api::FunctionRef> : fmt::formatter<faasd::api::FunctionRefView> {
    template <typename Context>
    auto format(const faasd::api::FunctionRef& ref, Context& ctx) const {
        return fmt::formatter<faasd::api::FunctionRefView>::format(ref.view(), ctx);
    }
};
