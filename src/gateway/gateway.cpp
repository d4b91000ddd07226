#include "gateway/gateway.hpp"

#include "gateway/history_sampler.hpp"
#include "gateway/server.hpp"

namespace faasd::gateway {

Gateway::Gateway(GatewayConfig config, provider::Provider& provider)
    : config_(std::move(config)), provider_(provider), metrics_(config_.history) {
    if (config_.history) {
        history_ = std::make_unique<MetricsHistory>();
    }
}

Gateway::~Gateway() {
    stop();
}

Result<void> Gateway::start() {
    if (server_) {
        return fail(Code::FailedPrecondition, "the gateway is already started");
    }
    if (config_.authEnabled &&
        (config_.credentials.user.empty() || config_.credentials.password.empty())) {
        return fail(Code::InvalidArgument, "basic auth is on but the credentials are empty");
    }
    Services services;
    services.config = &config_;
    services.provider = &provider_;
    services.metrics = &metrics_;
    services.waker = waker_;
    services.queue = queue_;
    services.alerts = alerts_;
    services.builder = builder_;
    services.triggers = triggers_;
    services.cluster = cluster_;
    services.history = history_.get();
    services.metricsSources = &metricsSources_;
    services.healthDetails = &healthDetails_;
    auto server = std::make_unique<Server>(config_, services);
    TRY(server->start());
    server_ = std::move(server);
    if (history_) {
        sampler_ = std::make_unique<HistorySampler>(*history_, metrics_, provider_, queue_);
        sampler_->start();
    }
    return {};
}

void Gateway::stop() {
    if (sampler_) {
        sampler_->stop();
        sampler_.reset();
    }
    if (server_) {
        server_->stop();
        server_.reset();
    }
}

uint16_t Gateway::port() const {
    return server_ ? server_->port() : 0;
}

uint16_t Gateway::internalPort() const {
    return server_ ? server_->internalPort() : 0;
}

Result<void> Gateway::reloadTls() {
    if (!server_) {
        return fail(Code::FailedPrecondition, "the gateway is not started");
    }
    return server_->reloadTls();
}

} // namespace faasd::gateway
