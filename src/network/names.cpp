#include "network/names.hpp"

#include <cctype>

namespace faasd::network {
namespace {

bool alnum(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0;
}

} // namespace

Result<void> validateName(std::string_view what, std::string_view name) {
    if (name.empty()) {
        return fail(Code::InvalidArgument, "{} is empty", what);
    }
    if (!alnum(name.front())) {
        return fail(Code::InvalidArgument, "{} \"{}\" must start with a letter or digit", what,
                    std::string(name));
    }
    for (char c : name) {
        if (!alnum(c) && c != '_' && c != '.' && c != '-') {
            return fail(Code::InvalidArgument,
                        "{} \"{}\" may only hold letters, digits, '_', '.' and '-'", what,
                        std::string(name));
        }
    }
    return {};
}

Result<void> validatePluginType(std::string_view type) {
    if (type.empty() || type == "." || type == ".." || type.find('/') != std::string_view::npos) {
        return fail(Code::InvalidArgument, "invalid plugin type \"{}\"", std::string(type));
    }
    return {};
}

Result<void> validateIfName(std::string_view name) {
    if (name.empty() || name.size() > 15 || name == "." || name == "..") {
        return fail(Code::InvalidArgument, "invalid interface name \"{}\"", std::string(name));
    }
    for (char c : name) {
        if (c == '/' || c == ':' || std::isspace(static_cast<unsigned char>(c))) {
            return fail(Code::InvalidArgument, "invalid interface name \"{}\"", std::string(name));
        }
    }
    return {};
}

} // namespace faasd::network
