#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

#include <mutex>

namespace faasd::containerd {

struct EventStream::State {
    grpc::ClientContext ctx;
    std::unique_ptr<grpc::ClientReader<v1::events::Envelope>> reader;
    std::string socket;
    std::mutex mu;
    bool cancelled = false;
    bool finished = false;
};

EventStream::EventStream(std::unique_ptr<State> state) : state_(std::move(state)) {}
EventStream::EventStream(EventStream&&) noexcept = default;
EventStream& EventStream::operator=(EventStream&&) noexcept = default;

EventStream::~EventStream() {
    if (state_ && !state_->finished) {
        state_->ctx.TryCancel();
        (void)state_->reader->Finish();
    }
}

void EventStream::cancel() {
    std::lock_guard lock(state_->mu);
    state_->cancelled = true;
    state_->ctx.TryCancel();
}

Result<std::optional<Event>> EventStream::next() {
    if (state_->finished) {
        return std::optional<Event>{};
    }
    v1::events::Envelope envelope;
    if (state_->reader->Read(&envelope)) {
        Event event;
        event.timestamp = fromProto(envelope.timestamp());
        event.ns = envelope.namespace_();
        event.topic = envelope.topic();
        event.payload = decodeEvent(envelope.event());
        return std::optional<Event>(std::move(event));
    }
    state_->finished = true;
    auto status = state_->reader->Finish();
    bool cancelled;
    {
        std::lock_guard lock(state_->mu);
        cancelled = state_->cancelled;
    }
    if (cancelled || status.ok()) {
        return std::optional<Event>{};
    }
    return fail(toError(status, "receiving containerd events", state_->socket));
}

Result<EventStream> EventsApi::subscribe(const std::vector<std::string>& filters) const {
    auto state = std::make_unique<EventStream::State>();
    prepareContext(state->ctx, scope_, std::nullopt);
    state->socket = scope_.conn->socket;
    v1::events::SubscribeRequest req;
    for (const auto& f : filters) {
        req.add_filters(f);
    }
    state->reader = scope_.conn->events->Subscribe(&state->ctx, req);
    // containerd sends no headers before the first event, so there is
    // nothing to wait for here: events published in the instant before the
    // server registers the subscription can be missed. Consumers reconcile
    // with a list after subscribing.
    return EventStream(std::move(state));
}

} // namespace faasd::containerd
