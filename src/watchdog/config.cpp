#include "watchdog/config.hpp"

#include <charconv>
#include <cmath>
#include <cstring>

namespace faasd::watchdog {

namespace {

const std::string* lookup(const Env& env, std::string_view key) {
    auto it = env.find(key);
    return it == env.end() ? nullptr : &it->second;
}

// Go's strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False.
Result<bool> parseBool(std::string_view key, std::string_view text) {
    for (std::string_view yes : {"1", "t", "T", "TRUE", "true", "True"}) {
        if (text == yes) {
            return true;
        }
    }
    for (std::string_view no : {"0", "f", "F", "FALSE", "false", "False"}) {
        if (text == no) {
            return false;
        }
    }
    return fail(Code::InvalidArgument, "{}: invalid boolean {:?} (use true or false)", key, text);
}

Result<int64_t> parseInt(std::string_view key, std::string_view text, int64_t min, int64_t max) {
    int64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    if (text.empty() || ec != std::errc() || ptr != end || value < min || value > max) {
        return fail(Code::InvalidArgument, "{}: invalid number {:?} (expected {}..{})", key, text,
                    min, max);
    }
    return value;
}

// "65536", "64K", "64Ki", "64M", "1G" (binary multiples).
Result<uint64_t> parseSize(std::string_view key, std::string_view text) {
    uint64_t value = 0;
    const char* end = text.data() + text.size();
    auto [ptr, ec] = std::from_chars(text.data(), end, value);
    std::string_view suffix(ptr, static_cast<size_t>(end - ptr));
    if (text.empty() || ec != std::errc()) {
        return fail(Code::InvalidArgument, "{}: invalid size {:?}", key, text);
    }
    unsigned shift = 0;
    if (suffix == "" || suffix == "B") {
        shift = 0;
    } else if (suffix == "K" || suffix == "Ki" || suffix == "KiB") {
        shift = 10;
    } else if (suffix == "M" || suffix == "Mi" || suffix == "MiB") {
        shift = 20;
    } else if (suffix == "G" || suffix == "Gi" || suffix == "GiB") {
        shift = 30;
    } else {
        return fail(Code::InvalidArgument, "{}: invalid size {:?} (use bytes, K, M or G)", key,
                    text);
    }
    if (shift > 0 && value > (UINT64_MAX >> shift)) {
        return fail(Code::InvalidArgument, "{}: size {:?} is too large", key, text);
    }
    return value << shift;
}

Result<Millis> durationSetting(const Env& env, std::string_view key, Millis fallback) {
    const std::string* value = lookup(env, key);
    if (!value || value->empty()) {
        return fallback;
    }
    return withContext(parseDuration(*value), key);
}

Result<void> boolSetting(const Env& env, std::string_view key, bool& out) {
    const std::string* value = lookup(env, key);
    if (value && !value->empty()) {
        TRY_ASSIGN(out, parseBool(key, *value));
    }
    return {};
}

Result<Mode> parseMode(std::string_view text) {
    if (text.empty() || text == "classic") {
        return Mode::Classic;
    }
    if (text == "streaming") {
        return Mode::Streaming;
    }
    if (text == "serializing") {
        return Mode::Serializing;
    }
    if (text == "http") {
        return Mode::Http;
    }
    return fail(Code::InvalidArgument,
                "mode: unsupported mode {:?} (use classic, streaming, serializing or http)", text);
}

} // namespace

std::string_view modeName(Mode mode) {
    switch (mode) {
    case Mode::Classic:
        return "classic";
    case Mode::Streaming:
        return "streaming";
    case Mode::Serializing:
        return "serializing";
    case Mode::Http:
        return "http";
    }
    return "unknown";
}

Result<Millis> parseDuration(std::string_view text) {
    if (text.empty()) {
        return fail(Code::InvalidArgument, "empty duration");
    }
    // Whole seconds, as the OpenFaaS watchdogs accept first.
    int64_t seconds = 0;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec == std::errc() && ptr == text.data() + text.size()) {
        if (seconds < 0 || seconds > 100'000'000) {
            return fail(Code::InvalidArgument, "invalid duration {:?}", text);
        }
        return Millis(seconds * 1000);
    }
    if (text == "0") {
        return Millis(0);
    }
    // Go's time.ParseDuration grammar: [0-9]+(\.[0-9]*)?unit, repeated.
    double totalNanos = 0;
    std::string_view rest = text;
    while (!rest.empty()) {
        size_t i = 0;
        double whole = 0;
        bool digits = false;
        while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
            whole = whole * 10 + (rest[i] - '0');
            digits = true;
            ++i;
        }
        if (i < rest.size() && rest[i] == '.') {
            ++i;
            double scale = 0.1;
            while (i < rest.size() && rest[i] >= '0' && rest[i] <= '9') {
                whole += (rest[i] - '0') * scale;
                scale /= 10;
                digits = true;
                ++i;
            }
        }
        if (!digits) {
            return fail(Code::InvalidArgument, "invalid duration {:?}", text);
        }
        size_t unitStart = i;
        while (i < rest.size() && !(rest[i] >= '0' && rest[i] <= '9') && rest[i] != '.') {
            ++i;
        }
        std::string_view unit = rest.substr(unitStart, i - unitStart);
        double nanos = 0;
        if (unit == "ns") {
            nanos = 1;
        } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xce\xbcs") {
            nanos = 1e3;
        } else if (unit == "ms") {
            nanos = 1e6;
        } else if (unit == "s") {
            nanos = 1e9;
        } else if (unit == "m") {
            nanos = 60e9;
        } else if (unit == "h") {
            nanos = 3600e9;
        } else {
            return fail(Code::InvalidArgument, "invalid duration {:?}: unknown unit {:?}", text,
                        unit);
        }
        totalNanos += whole * nanos;
        rest.remove_prefix(i);
    }
    if (totalNanos > 1e17) {
        return fail(Code::InvalidArgument, "invalid duration {:?}: too long", text);
    }
    auto millis = static_cast<int64_t>(totalNanos / 1e6);
    if (millis == 0 && totalNanos > 0) {
        millis = 1; // a timeout below 1ms must not read as "no timeout"
    }
    return Millis(millis);
}

std::string formatDuration(Millis d) {
    int64_t ms = d.count();
    if (ms == 0) {
        return "0s";
    }
    if (ms < 1000) {
        return fmt::format("{}ms", ms);
    }
    int64_t hours = ms / 3'600'000;
    int64_t minutes = ms / 60'000 % 60;
    int64_t wholeSeconds = ms / 1000 % 60;
    int64_t fraction = ms % 1000;
    std::string out;
    if (hours > 0) {
        out += fmt::format("{}h", hours);
    }
    if (hours > 0 || minutes > 0) {
        out += fmt::format("{}m", minutes);
    }
    if (fraction == 0) {
        out += fmt::format("{}s", wholeSeconds);
    } else {
        std::string frac = fmt::format("{:03}", fraction);
        while (frac.back() == '0') {
            frac.pop_back();
        }
        out += fmt::format("{}.{}s", wholeSeconds, frac);
    }
    return out;
}

Result<UpstreamUrl> parseUpstreamUrl(std::string_view text) {
    std::string_view rest = text;
    constexpr std::string_view scheme = "http://";
    if (rest.substr(0, scheme.size()) != scheme) {
        return fail(Code::InvalidArgument, "upstream_url {:?}: must start with http://", text);
    }
    rest.remove_prefix(scheme.size());
    size_t slash = rest.find('/');
    std::string_view authority = rest.substr(0, slash);
    std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
    while (!path.empty() && path.back() == '/') {
        path.remove_suffix(1);
    }
    UpstreamUrl url;
    std::string_view host;
    std::string_view port;
    if (!authority.empty() && authority.front() == '[') {
        size_t close = authority.find(']');
        if (close == std::string_view::npos) {
            return fail(Code::InvalidArgument, "upstream_url {:?}: bad IPv6 literal", text);
        }
        host = authority.substr(1, close - 1);
        std::string_view after = authority.substr(close + 1);
        if (!after.empty() && after.front() == ':') {
            port = after.substr(1);
        } else if (!after.empty()) {
            return fail(Code::InvalidArgument, "upstream_url {:?}: bad authority", text);
        }
    } else {
        size_t colon = authority.rfind(':');
        host = authority.substr(0, colon);
        if (colon != std::string_view::npos) {
            port = authority.substr(colon + 1);
        }
    }
    if (host.empty()) {
        return fail(Code::InvalidArgument, "upstream_url {:?}: no host", text);
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    int64_t portNumber = 80;
    if (!port.empty()) {
        TRY_ASSIGN(portNumber, parseInt("upstream_url port", port, 1, 65535));
    }
    url.host = std::string(host);
    url.port = static_cast<uint16_t>(portNumber);
    url.pathPrefix = std::string(path);
    return url;
}

std::vector<std::string> splitCommand(std::string_view command) {
    std::vector<std::string> words;
    size_t i = 0;
    while (i < command.size()) {
        size_t space = command.find(' ', i);
        if (space == std::string_view::npos) {
            space = command.size();
        }
        if (space > i) {
            words.emplace_back(command.substr(i, space - i));
        }
        i = space + 1;
    }
    return words;
}

std::string lockPathFromEnv(const Env& env) {
    // Go's os.TempDir(): $TMPDIR, else /tmp.
    const std::string* tmp = lookup(env, "TMPDIR");
    if (!tmp || tmp->empty()) {
        return "/tmp/.lock";
    }
    std::string dir = *tmp;
    while (dir.size() > 1 && dir.back() == '/') {
        dir.pop_back();
    }
    return dir == "/" ? "/.lock" : dir + "/.lock";
}

Result<Config> fromEnv(const Env& env) {
    Config c;
    auto get = [&](std::string_view key) -> std::string_view {
        const std::string* value = lookup(env, key);
        return value ? std::string_view(*value) : std::string_view();
    };

    TRY_ASSIGN(c.mode, parseMode(get("mode")));

    c.fprocess = std::string(get("fprocess"));
    if (!get("function_process").empty()) {
        c.fprocess = std::string(get("function_process"));
    }
    c.argv = splitCommand(c.fprocess);
    if (c.argv.empty()) {
        return fail(Code::InvalidArgument,
                    "provide the function's command in the fprocess environment variable");
    }

    std::string_view upstream = get("upstream_url");
    if (!get("http_upstream_url").empty()) {
        upstream = get("http_upstream_url");
    }
    if (c.mode == Mode::Http) {
        if (upstream.empty()) {
            return fail(Code::InvalidArgument,
                        "mode=http needs upstream_url, e.g. http://127.0.0.1:5000");
        }
        TRY_ASSIGN(c.upstream, parseUpstreamUrl(upstream));
    }

    TRY_ASSIGN(c.readTimeout, durationSetting(env, "read_timeout", c.readTimeout));
    TRY_ASSIGN(c.writeTimeout, durationSetting(env, "write_timeout", c.writeTimeout));
    Millis execDefault = c.mode == Mode::Classic ? Millis(0) : Millis(30'000);
    TRY_ASSIGN(c.execTimeout, durationSetting(env, "exec_timeout", execDefault));
    TRY_ASSIGN(c.healthcheckInterval,
               durationSetting(env, "healthcheck_interval", c.healthcheckInterval));

    if (!get("port").empty()) {
        TRY_ASSIGN(c.port, parseInt("port", get("port"), 0, 65535));
    }
    if (!get("metrics_port").empty()) {
        TRY_ASSIGN(c.metricsPort, parseInt("metrics_port", get("metrics_port"), -1, 65535));
    }
    if (!get("max_inflight").empty()) {
        TRY_ASSIGN(c.maxInflight, parseInt("max_inflight", get("max_inflight"), 0, 1'000'000));
    }

    TRY(boolSetting(env, "combine_output", c.combineOutput));
    TRY(boolSetting(env, "cgi_headers", c.cgiHeaders));
    TRY(boolSetting(env, "write_debug", c.writeDebug));
    TRY(boolSetting(env, "prefix_logs", c.prefixLogs));
    TRY(boolSetting(env, "suppress_lock", c.suppressLock));

    if (const std::string* type = lookup(env, "content_type"); type && !type->empty()) {
        c.contentType = *type;
    }

    c.lockPath = lockPathFromEnv(env);

    if (!get("max_request_bytes").empty()) {
        TRY_ASSIGN(c.maxRequestBytes, parseSize("max_request_bytes", get("max_request_bytes")));
    }
    if (!get("max_response_bytes").empty()) {
        TRY_ASSIGN(c.maxResponseBytes, parseSize("max_response_bytes", get("max_response_bytes")));
    }
    return c;
}

Env environFromProcess(char** envp) {
    Env env;
    for (char** e = envp; e && *e; ++e) {
        const char* eq = std::strchr(*e, '=');
        if (!eq || eq == *e) {
            continue;
        }
        env.emplace(std::string(*e, static_cast<size_t>(eq - *e)), std::string(eq + 1));
    }
    return env;
}

} // namespace faasd::watchdog
