#pragma once

// One number field of a JSON document read from outside (a deployment, an
// image's config, a status another gateway answered), range-checked.

#include "common/error.hpp"

#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>
#include <string_view>
#include <type_traits>
#include <utility>

namespace faasd::api {

// Reads an optional number field as T; null counts as absent (fallback). A
// number T cannot hold (a negative count, 1e30) is an error, where
// json::value() would convert it with undefined behaviour; a fraction is
// dropped.
template <typename T>
Result<T> jsonNumber(const nlohmann::json& j, const char* key, T fallback, std::string_view what) {
    auto it = j.find(key);
    if (it == j.end() || it->is_null()) {
        return fallback;
    }
    if constexpr (std::is_floating_point_v<T>) {
        if (it->is_number()) {
            return it->get<T>();
        }
        return fail(Code::InvalidArgument, "{}: \"{}\" must be a number", what, key);
    } else if (it->is_number_unsigned()) {
        if (const auto v = it->get<uint64_t>(); std::in_range<T>(v)) {
            return static_cast<T>(v);
        }
    } else if (it->is_number_integer()) {
        if (const auto v = it->get<int64_t>(); std::in_range<T>(v)) {
            return static_cast<T>(v);
        }
    } else if (it->is_number_float()) {
        // [min, 2^digits): the doubles whose whole part T holds.
        const double v = it->get<double>();
        if (v >= static_cast<double>(std::numeric_limits<T>::min()) &&
            v < std::ldexp(1.0, std::numeric_limits<T>::digits)) {
            return static_cast<T>(v);
        }
    }
    return fail(Code::InvalidArgument, "{}: \"{}\" must be a number from {} to {}", what, key,
                std::numeric_limits<T>::lowest(), std::numeric_limits<T>::max());
}

} // namespace faasd::api
