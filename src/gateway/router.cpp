#include "gateway/router.hpp"

#include <algorithm>

namespace faasd::gateway {

namespace {

// Pops the next segment (up to '/') from text.
std::string_view nextSegment(std::string_view& text) {
    size_t slash = text.find('/');
    std::string_view segment = text.substr(0, slash);
    text = slash == std::string_view::npos ? std::string_view{} : text.substr(slash + 1);
    return segment;
}

} // namespace

bool matchPattern(std::string_view pattern, std::string_view path,
                  std::map<std::string, std::string>& params) {
    if (pattern.size() <= 1 || path.size() <= 1 || pattern[0] != '/' || path[0] != '/') {
        return pattern == path;
    }
    pattern.remove_prefix(1);
    path.remove_prefix(1);
    std::map<std::string, std::string> found;
    bool pathDone = false;
    while (!pattern.empty()) {
        std::string_view want = nextSegment(pattern);
        if (want.size() > 3 && want.substr(0, 2) == "{*" && want.back() == '}') {
            found.emplace(std::string(want.substr(2, want.size() - 3)),
                          pathDone ? std::string{} : std::string(path));
            params = std::move(found);
            return true;
        }
        if (pathDone) {
            return false;
        }
        bool last = path.find('/') == std::string_view::npos;
        std::string_view got = nextSegment(path);
        pathDone = last;
        if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
            if (got.empty()) {
                return false;
            }
            found.emplace(std::string(want.substr(1, want.size() - 2)), std::string(got));
        } else if (want != got) {
            return false;
        }
    }
    if (!pathDone) {
        return false;
    }
    params = std::move(found);
    return true;
}

void Router::add(Route route) {
    routes_.push_back(std::move(route));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
    RouteMatch result;
    for (const auto& route : routes_) {
        std::map<std::string, std::string> params;
        if (!matchPattern(route.pattern, path, params)) {
            continue;
        }
        bool allowed =
            route.methods.empty() ||
            std::find(route.methods.begin(), route.methods.end(), method) != route.methods.end();
        if (!allowed) {
            result.methodNotAllowed = true;
            continue;
        }
        result.route = &route;
        result.methodNotAllowed = false;
        result.params = std::move(params);
        return result;
    }
    return result;
}

} // namespace faasd::gateway
