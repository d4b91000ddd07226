#include "gateway/errors.hpp"

#include "api/validate.hpp"

namespace faasd::gateway {

unsigned statusFor(Code code) {
    switch (code) {
    case Code::InvalidArgument:
    case Code::FailedPrecondition:
        return 400;
    case Code::PermissionDenied:
        return 403;
    case Code::NotFound:
        return 404;
    case Code::AlreadyExists:
        return 409;
    case Code::ResourceExhausted:
        return 429;
    case Code::Unimplemented:
        return 501;
    case Code::Unavailable:
        return 503;
    case Code::Timeout:
        return 504;
    case Code::Internal:
    case Code::Cancelled:
        break;
    }
    return 500;
}

Response errorResponse(const Error& error) {
    std::string body = error.message();
    body += '\n';
    return Response::text(statusFor(error.code()), std::move(body));
}

Result<std::string> resolveNamespace(const Request& request, const std::string& fromBody,
                                     const std::string& defaultNs) {
    std::string ns = fromBody.empty() ? request.queryValue("namespace", defaultNs) : fromBody;
    TRY(api::validateName("namespace", ns));
    return ns;
}

} // namespace faasd::gateway
