#pragma once

// Lets Catch2 print a failed Result<T> as its error instead of "{?}".

#include "common/error.hpp"

#include <catch2/catch.hpp>

namespace Catch {

template <typename T> struct StringMaker<faasd::Result<T>> {
    static std::string convert(const faasd::Result<T>& r) {
        if (r) {
            return "ok";
        }
        return "error (" + std::string(faasd::codeName(r.error().code())) +
               "): " + r.error().message();
    }
};

} // namespace Catch
