#pragma once

// The route table: path patterns, allowed methods, whether basic auth
// applies, and how the server runs the handler.
//
// Patterns are literal segments, "{name}" for one non-empty segment and a
// final "{*name}" for the rest of the path (possibly empty, slashes kept).

#include "gateway/http_types.hpp"

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::gateway {

enum class RouteKind {
    Inline,   // cheap, runs on the I/O thread (healthz, metrics, ui)
    Blocking, // calls the provider: runs on the blocking pool
    Invoke,   // the sync invoke proxy, streamed
    Logs,     // NDJSON streaming
};

using Handler = std::function<Response(const Request&)>;

struct Route {
    std::string pattern;
    std::vector<std::string> methods; // empty: any method
    bool auth = false;
    RouteKind kind = RouteKind::Blocking;
    Handler handler; // Inline and Blocking routes
};

struct RouteMatch {
    const Route* route = nullptr;
    bool methodNotAllowed = false; // the path matched, the method did not
    std::map<std::string, std::string> params;
};

class Router {
public:
    void add(Route route);
    RouteMatch match(std::string_view method, std::string_view path) const;

private:
    std::vector<Route> routes_;
};

// Does pattern match path? Fills params on success.
bool matchPattern(std::string_view pattern, std::string_view path,
                  std::map<std::string, std::string>& params);

} // namespace faasd::gateway
