#include "common/error.hpp"

#include <cstring>

namespace faasd {

std::string_view codeName(Code code) {
    switch (code) {
    case Code::Internal:
        return "internal";
    case Code::InvalidArgument:
        return "invalid argument";
    case Code::NotFound:
        return "not found";
    case Code::AlreadyExists:
        return "already exists";
    case Code::FailedPrecondition:
        return "failed precondition";
    case Code::Unavailable:
        return "unavailable";
    case Code::Timeout:
        return "timeout";
    case Code::PermissionDenied:
        return "permission denied";
    case Code::ResourceExhausted:
        return "resource exhausted";
    case Code::Cancelled:
        return "cancelled";
    case Code::Unimplemented:
        return "unimplemented";
    }
    return "unknown";
}

Error systemError(std::string_view what, int err) {
    Code code = Code::Internal;
    switch (err) {
    case ENOENT:
        code = Code::NotFound;
        break;
    case EEXIST:
        code = Code::AlreadyExists;
        break;
    case EACCES:
    case EPERM:
        code = Code::PermissionDenied;
        break;
    case ETIMEDOUT:
        code = Code::Timeout;
        break;
    case ECONNREFUSED:
    case ECONNRESET:
    case EHOSTUNREACH:
        code = Code::Unavailable;
        break;
    default:
        break;
    }
    return Error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

} // namespace faasd
