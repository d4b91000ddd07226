#pragma once

// The one place errors become HTTP status codes, and the one helper that
// decodes request bodies.

#include "common/error.hpp"
#include "gateway/http_types.hpp"

#include <string_view>

namespace faasd::gateway {

// InvalidArgument and FailedPrecondition 400, NotFound 404, AlreadyExists
// 409, PermissionDenied 403, ResourceExhausted 429, Unimplemented 501,
// Unavailable 503, Timeout 504, anything else 500.
unsigned statusFor(Code code);

// A text response carrying the error's message.
Response errorResponse(const Error& error);

template <typename T> using BodyParser = Result<T> (*)(std::string_view);

// Decodes a JSON body with one of the api parsers. An empty body or bad
// JSON is InvalidArgument with the parser's message.
template <typename T> Result<T> decodeBody(const Request& request, BodyParser<T> parse) {
    if (request.body.empty()) {
        return fail(Code::InvalidArgument, "the request body is empty");
    }
    return parse(request.body);
}

// The namespace of a request: the body's when set, else ?namespace=, else
// the default. Validated as a name.
Result<std::string> resolveNamespace(const Request& request, const std::string& fromBody,
                                     const std::string& defaultNs);

} // namespace faasd::gateway
