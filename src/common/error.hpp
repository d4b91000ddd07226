#pragma once

// The project's one error type. Fallible calls return Result<T>; errors carry
// a code (what a caller can act on) and a message with context added as the
// error rises: "deploying say: creating task: ...".

#include <fmt/format.h>
#include <string>
#include <string_view>
#include <tl/expected.hpp>
#include <utility>

namespace faasd {

enum class Code {
    Internal,
    InvalidArgument,
    NotFound,
    AlreadyExists,
    FailedPrecondition,
    Unavailable,
    Timeout,
    PermissionDenied,
    ResourceExhausted,
    Cancelled,
    Unimplemented,
};

std::string_view codeName(Code code);

class Error {
public:
    Error(Code code, std::string message) : code_(code), message_(std::move(message)) {}

    Code code() const { return code_; }
    const std::string& message() const { return message_; }

    // Returns this error with "context: " in front of its message.
    Error context(std::string_view context) const& {
        return Error(code_, fmt::format("{}: {}", context, message_));
    }
    Error context(std::string_view context) && {
        message_ = fmt::format("{}: {}", context, message_);
        return std::move(*this);
    }

private:
    Code code_;
    std::string message_;
};

// [[nodiscard]]: a dropped Result is a compile error (the build uses
// -Werror); a call whose failure truly does not matter says so with (void).
template <typename T = void> class [[nodiscard]] Result : public tl::expected<T, Error> {
public:
    using Base = tl::expected<T, Error>;
    using Base::Base;
    Result(const Base& base) : Base(base) {}
    Result(Base&& base) : Base(std::move(base)) {}
};

// fail(Code::NotFound, "image {} not found", name) builds an unexpected
// Error that converts to any Result<T>.
template <typename... Args>
tl::unexpected<Error> fail(Code code, fmt::format_string<Args...> format, Args&&... args) {
    return tl::unexpected<Error>(Error(code, fmt::format(format, std::forward<Args>(args)...)));
}

inline tl::unexpected<Error> fail(Error error) {
    return tl::unexpected<Error>(std::move(error));
}

// Adds context to a failed result and passes a successful one through.
// Takes the base type so that tl::expected's own map()/and_then() results
// are accepted as well as a Result.
template <typename T>
Result<T> withContext(tl::expected<T, Error> result, std::string_view context) {
    if (!result) {
        return tl::unexpected<Error>(std::move(result).error().context(context));
    }
    return Result<T>(std::move(result));
}

// Error for a failed system call: "what: strerror(errno)".
Error systemError(std::string_view what, int err);

} // namespace faasd

// TRY(expr): evaluates a Result; on failure returns its error from the
// enclosing function, otherwise yields nothing. TRY_ASSIGN(var, expr)
// declares var from a successful Result<T>.
#define FAASD_CONCAT_INNER(a, b) a##b
#define FAASD_CONCAT(a, b) FAASD_CONCAT_INNER(a, b)

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        auto&& faasd_try_result_ = (expr);                                                         \
        if (!faasd_try_result_) {                                                                  \
            return ::tl::unexpected<::faasd::Error>(std::move(faasd_try_result_).error());         \
        }                                                                                          \
    } while (0)

#define TRY_ASSIGN_IMPL(tmp, var, expr)                                                            \
    auto tmp = (expr);                                                                             \
    if (!tmp) {                                                                                    \
        return ::tl::unexpected<::faasd::Error>(std::move(tmp).error());                           \
    }                                                                                              \
    var = std::move(*tmp)

#define TRY_ASSIGN(var, expr) TRY_ASSIGN_IMPL(FAASD_CONCAT(faasd_try_, __LINE__), var, expr)
