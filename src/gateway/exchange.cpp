#include "gateway/exchange.hpp"

namespace faasd::gateway {

Task<bool> writeResponse(Exchange& ex, Response response, bool keepAlive) {
    http::response<http::string_body> res{static_cast<http::status>(response.status), ex.version};
    if (!response.contentType.empty()) {
        res.set(http::field::content_type, response.contentType);
    }
    for (auto& [key, value] : response.headers) {
        res.insert(key, value);
    }
    res.body() = std::move(response.body);
    res.keep_alive(keepAlive);
    res.prepare_payload();
    beast::error_code ec;
    ex.armClient();
    co_await http::async_write(ex.stream, res, ecToken(ec));
    ex.clientDeadline.disarm();
    co_return !ec && keepAlive;
}

Task<bool> sendContinueIfExpected(Exchange& ex) {
    auto& req = ex.parser.get();
    auto it = req.find(http::field::expect);
    if (it == req.end() || !beast::iequals(it->value(), "100-continue") || ex.version < 11) {
        co_return true;
    }
    static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
    beast::error_code ec;
    ex.armClient();
    co_await net::async_write(ex.stream, net::buffer(kContinue.data(), kContinue.size()),
                              ecToken(ec));
    ex.clientDeadline.disarm();
    co_return !ec;
}

} // namespace faasd::gateway
