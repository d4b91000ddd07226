#include "triggers/mqtt_config.hpp"

#include "common/strings.hpp"

#include <charconv>

namespace faasd::triggers {

Result<BrokerAddress> parseBrokerUrl(std::string_view url) {
    BrokerAddress address;
    auto scheme = url.find("://");
    if (scheme == std::string_view::npos) {
        return fail(Code::InvalidArgument, "broker \"{}\": not a URL: mqtt://host:port", url);
    }
    auto name = asciiLower(url.substr(0, scheme));
    if (name == "mqtt" || name == "tcp") {
        address.port = 1883;
    } else if (name == "mqtts" || name == "ssl") {
        address.port = 8883;
        address.tls = true;
    } else {
        return fail(Code::InvalidArgument, "broker \"{}\": scheme \"{}\" is not mqtt or mqtts", url,
                    name);
    }
    auto rest = url.substr(scheme + 3);
    if (!rest.empty() && rest.back() == '/') {
        rest.remove_suffix(1);
    }
    if (rest.find('@') != std::string_view::npos) {
        return fail(Code::InvalidArgument,
                    "broker \"{}\": credentials go in the username and password settings", url);
    }
    if (rest.find_first_of("/?#") != std::string_view::npos) {
        return fail(Code::InvalidArgument, "broker \"{}\": a path is not allowed", url);
    }
    std::string_view host = rest;
    std::string_view port;
    if (rest.starts_with('[')) {
        auto close = rest.find(']');
        if (close == std::string_view::npos) {
            return fail(Code::InvalidArgument, "broker \"{}\": unclosed '[' in the host", url);
        }
        host = rest.substr(1, close - 1);
        auto after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':') {
                return fail(Code::InvalidArgument, "broker \"{}\": ':' expected after ']'", url);
            }
            port = after.substr(1);
        }
    } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
        host = rest.substr(0, colon);
        port = rest.substr(colon + 1);
    }
    if (host.empty()) {
        return fail(Code::InvalidArgument, "broker \"{}\": no host", url);
    }
    if (host.find(':') != std::string_view::npos && !rest.starts_with('[')) {
        return fail(Code::InvalidArgument, "broker \"{}\": an IPv6 host goes in brackets", url);
    }
    if (!port.empty() || rest.ends_with(':')) {
        unsigned value = 0;
        auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
        if (ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535) {
            return fail(Code::InvalidArgument, "broker \"{}\": port \"{}\" is not 1-65535", url,
                        port);
        }
        address.port = static_cast<uint16_t>(value);
    }
    address.host = std::string(host);
    return address;
}

Result<void> checkMqttConfig(const MqttConfig& config) {
    TRY(parseBrokerUrl(config.broker));
    if (config.clientId.empty() || config.clientId.size() > 65535) {
        return fail(Code::InvalidArgument, "client id: 1 to 65535 bytes (it names the session)");
    }
    if (config.shareGroup.find_first_of("/+#") != std::string::npos) {
        return fail(Code::InvalidArgument, "share group \"{}\": no '/', '+' or '#'",
                    config.shareGroup);
    }
    if (config.keepAlive.count() != 0 &&
        (config.keepAlive.count() < 5 || config.keepAlive.count() > 65535)) {
        return fail(Code::InvalidArgument, "keep-alive {}s: 0 (none) or 5 to 65535 seconds",
                    config.keepAlive.count());
    }
    if (config.reconnectMin.count() < 1 || config.reconnectMax < config.reconnectMin) {
        return fail(Code::InvalidArgument,
                    "reconnect delays {}s..{}s: at least 1 second, the maximum not below the "
                    "minimum",
                    config.reconnectMin.count(), config.reconnectMax.count());
    }
    return {};
}

} // namespace faasd::triggers
