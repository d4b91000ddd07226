#include "triggers/mqtt_source.hpp"

#include "common/strings.hpp"
#include "triggers/logger.hpp"
#include "triggers/topics.hpp"

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mosquitto.h>
#include <mutex>
#include <optional>
#include <set>
#include <sys/socket.h>
#include <utility>

// When a message is acknowledged. libmosquitto 2.0.11 (lib/handle_publish.c,
// handle__publish) queues a QoS 1 message's PUBACK (send__puback) *before*
// it calls on_message. packet__queue (lib/packet_mosq.c) writes at once only
// when no loop thread runs the client; with mosquitto_loop_start it appends
// the packet to the out queue, and only the loop thread writes that queue
// (mosquitto_loop -> mosquitto_loop_write), after the read that called
// on_message has returned. So on_message runs before anything of this
// message's acknowledgement reaches the socket, and blocking in it holds the
// PUBACK back: on_message returns only once every run is delivered. To give
// up (stop()), it shuts the socket down before returning, so the queued
// PUBACK fails to write and the broker sends the message again to the next
// session; a reconnect drops the out queue (packet__cleanup_all).
//
// Blocking the loop thread also stops keep-alive pings: when delivery stays
// refused for longer than 1.5 keep-alives the broker drops the connection,
// and sends the message again after the reconnect (at least once).
//
// MQTT 3.1.1, not 5: a persistent 3.1.1 session needs only clean session
// off (MQTT 5 needs a session expiry in CONNECT, which libmosquitto sends
// only from its blocking connect), and mosquitto sends a 3.1.1 client one
// copy of a message that matches several of its subscriptions (an MQTT 5
// client gets one per subscription). Mosquitto 2.0.11 keeps a persistent
// session's shared subscriptions and queues their QoS 1 messages while the
// client is away, across a broker restart too (persistence on).

namespace faasd::triggers {

namespace {

constexpr std::string_view kMqttConnector = "faasd-mqtt";
constexpr std::chrono::milliseconds kRetryMin{100};
constexpr std::chrono::milliseconds kRetryMax{5'000};

struct MosquittoDeleter {
    void operator()(mosquitto* handle) const { mosquitto_destroy(handle); }
};
using MosquittoHandle = std::unique_ptr<mosquitto, MosquittoDeleter>;

void initMosquittoOnce() {
    static std::once_flag once;
    std::call_once(once, [] { mosquitto_lib_init(); });
}

// deliver() errors worth waiting out: the queue is full or not answering.
bool mqttRetryable(Code code) {
    return code == Code::ResourceExhausted || code == Code::Unavailable || code == Code::Timeout;
}

enum class Subscription { Pending, Subscribed, Refused };

std::string_view subscriptionState(bool connected, Subscription s) {
    if (!connected) {
        return "disconnected";
    }
    switch (s) {
    case Subscription::Pending:
        return "subscribing";
    case Subscription::Subscribed:
        return "subscribed";
    case Subscription::Refused:
        return "refused";
    }
    return "";
}

struct TriggerStats {
    uint64_t runs = 0;
    uint64_t failed = 0;
    std::optional<std::chrono::system_clock::time_point> lastRun;
    std::string lastStatus;
    std::string lastCallId;
};

struct MqttFunction {
    bool sync = false;
    std::string replyTopic;
    std::map<std::string, TriggerStats> filters;
};

// One run a message starts: the function and the filter it counts under.
struct MqttTarget {
    api::FunctionRef function;
    std::string filter;
    bool sync = false;
    std::string replyTopic;
};

} // namespace

// Everything the loop thread, the callers and the runs' callbacks share.
struct MqttSource::Core : std::enable_shared_from_this<Core> {
    enum class Run { Idle, Running, Stopped };

    Core(MqttConfig c, Delivery& d) : config(std::move(c)), delivery(d) {}

    MqttConfig config;
    Delivery& delivery;
    std::optional<BrokerAddress> address; // nullopt: a wrong config, never connects
    MosquittoHandle handle;

    mutable std::mutex mutex;
    std::condition_variable changed; // stopping, or a deliver() ended
    Run run = Run::Idle;
    bool stopping = false;
    bool connected = false;
    uint64_t messages = 0;
    api::FunctionMap<MqttFunction> functions;
    std::map<std::string, Subscription> subscriptions; // by filter
    std::map<int, std::string> subscribing;            // SUBSCRIBE message id -> filter
    std::optional<api::FunctionRef> delivering;        // whose deliver() runs now
    // A run that ended before its deliver() returned: its call id and whether
    // it failed, for deliverOne to record after "accepted".
    std::optional<std::pair<std::string, bool>> endedEarly;

    std::string subscriptionTopic(const std::string& filter) const {
        if (config.shareGroup.empty()) {
            return filter;
        }
        return fmt::format("$share/{}/{}", config.shareGroup, filter);
    }

    // Under mutex. Only while connected: a connection subscribes everything.
    void subscribeLocked(const std::string& filter) {
        subscriptions[filter] = Subscription::Pending;
        if (!connected || !handle) {
            return;
        }
        int mid = 0;
        auto topic = subscriptionTopic(filter);
        int rc = mosquitto_subscribe(handle.get(), &mid, topic.c_str(), 1);
        if (rc != MOSQ_ERR_SUCCESS) {
            kLog.warn("mqtt: subscribing to {}: {}", topic, mosquitto_strerror(rc));
            return;
        }
        subscribing[mid] = filter;
    }

    // Under mutex: subscribes the filters some function wants, unsubscribes
    // the others.
    void reconcileLocked() {
        std::set<std::string> wanted;
        for (const auto& [ref, fn] : functions) {
            for (const auto& [filter, stats] : fn.filters) {
                wanted.insert(filter);
            }
        }
        for (auto it = subscriptions.begin(); it != subscriptions.end();) {
            if (wanted.contains(it->first)) {
                ++it;
                continue;
            }
            if (connected && handle) {
                auto topic = subscriptionTopic(it->first);
                int rc = mosquitto_unsubscribe(handle.get(), nullptr, topic.c_str());
                if (rc != MOSQ_ERR_SUCCESS) {
                    kLog.warn("mqtt: unsubscribing from {}: {}", topic, mosquitto_strerror(rc));
                }
            }
            it = subscriptions.erase(it);
        }
        for (const auto& filter : wanted) {
            if (!subscriptions.contains(filter)) {
                subscribeLocked(filter);
            }
        }
    }

    void onConnect(int rc) {
        if (rc != 0) {
            kLog.warn("mqtt: broker {} refused the connection: {}", config.broker,
                      mosquitto_connack_string(rc));
            return;
        }
        std::lock_guard lock(mutex);
        kLog.info("mqtt: connected to {} as {}", config.broker, config.clientId);
        connected = true;
        subscribing.clear();
        std::vector<std::string> filters;
        for (const auto& [filter, state] : subscriptions) {
            filters.push_back(filter);
        }
        for (const auto& filter : filters) {
            subscribeLocked(filter);
        }
    }

    void onDisconnect(int rc) {
        std::lock_guard lock(mutex);
        if (connected && !stopping) {
            kLog.warn("mqtt: disconnected from {}: {}", config.broker, mosquitto_strerror(rc));
        }
        connected = false;
        subscribing.clear();
    }

    void onSubscribe(int mid, int count, const int* granted) {
        std::lock_guard lock(mutex);
        auto it = subscribing.find(mid);
        if (it == subscribing.end()) {
            return;
        }
        auto filter = std::move(it->second);
        subscribing.erase(it);
        auto sub = subscriptions.find(filter);
        if (sub == subscriptions.end()) {
            return;
        }
        // 0x80: refused (by the broker's ACL, or a filter it does not take).
        if (count < 1 || granted[0] >= 0x80) {
            kLog.warn("mqtt: broker refused the subscription to {}", subscriptionTopic(filter));
            sub->second = Subscription::Refused;
        } else {
            sub->second = Subscription::Subscribed;
        }
    }

    // The runs a message on topic starts: one per function, counted under its
    // first matching filter.
    std::vector<MqttTarget> targetsLocked(std::string_view topic) const {
        std::vector<MqttTarget> targets;
        for (const auto& [ref, fn] : functions) {
            for (const auto& [filter, stats] : fn.filters) {
                if (topicMatches(filter, topic)) {
                    targets.push_back({ref, filter, fn.sync, fn.replyTopic});
                    break;
                }
            }
        }
        return targets;
    }

    TriggerStats* statsLocked(const api::FunctionRef& function, const std::string& filter) {
        auto fn = functions.find(function);
        if (fn == functions.end()) {
            return nullptr;
        }
        auto it = fn->second.filters.find(filter);
        return it == fn->second.filters.end() ? nullptr : &it->second;
    }

    enum class Outcome { Done, Withheld };

    // Delivers one run, waiting out a full or unavailable queue; Withheld
    // when stop() came first.
    Outcome deliverOne(const MqttTarget& target, const std::string& topic,
                       const std::string& body) {
        auto retryDelay = kRetryMin;
        bool warned = false;
        while (true) {
            {
                std::unique_lock lock(mutex);
                if (stopping) {
                    return Outcome::Withheld;
                }
                if (!statsLocked(target.function, target.filter)) {
                    return Outcome::Done; // forgotten, or no longer on this filter
                }
                delivering = target.function;
            }
            Fire fire{.function = target.function,
                      .body = body,
                      .headers = {{"X-Topic", topic},
                                  {"X-Connector", std::string(kMqttConnector)},
                                  {"Content-Type", "application/octet-stream"}},
                      .sync = target.sync};
            auto callId = delivery.deliver(std::move(fire), endedCallback(target));
            std::unique_lock lock(mutex);
            delivering.reset();
            auto early = std::exchange(endedEarly, std::nullopt);
            changed.notify_all();
            auto* stats = statsLocked(target.function, target.filter);
            if (callId) {
                if (stats) {
                    ++stats->runs;
                    stats->lastRun = std::chrono::system_clock::now();
                    stats->lastStatus = "accepted";
                    stats->lastCallId = *callId;
                    if (early && early->first == *callId) {
                        stats->lastStatus = early->second ? "failed" : "completed";
                    }
                }
                return Outcome::Done;
            }
            const auto& error = callId.error();
            if (!mqttRetryable(error.code())) {
                kLog.warn("mqtt: {} on {}: {}", target.function.qualified(), topic,
                          error.message());
                if (stats) {
                    ++stats->failed;
                    stats->lastRun = std::chrono::system_clock::now();
                    stats->lastStatus = "failed";
                    stats->lastCallId.clear();
                }
                return Outcome::Done;
            }
            if (!warned) {
                kLog.warn("mqtt: {} on {}: {}; retrying, the message stays unacknowledged",
                          target.function.qualified(), topic, error.message());
                warned = true;
            }
            changed.wait_for(lock, retryDelay, [&] { return stopping; });
            retryDelay = std::min(retryDelay * 2, kRetryMax);
        }
    }

    RunEnded endedCallback(const MqttTarget& target) {
        return [weak = weak_from_this(), target](const RunEnd& end) {
            if (auto core = weak.lock()) {
                core->ended(target, end);
            }
        };
    }

    void ended(const MqttTarget& target, const RunEnd& end) {
        std::lock_guard lock(mutex);
        auto* stats = statsLocked(target.function, target.filter);
        if (stats) {
            if (end.failed) {
                ++stats->failed;
            }
            if (stats->lastCallId == end.callId) {
                stats->lastStatus = end.failed ? "failed" : "completed";
            } else if (delivering == target.function) {
                endedEarly.emplace(end.callId, end.failed);
            }
        }
        if (target.replyTopic.empty() || end.failed || end.status <= 0 || end.status >= 400 ||
            run != Run::Running || stopping || !handle) {
            return;
        }
        // mosquitto_publish is safe from any thread while the loop runs: it
        // queues the message for the loop thread to write (while
        // disconnected, until the next connection).
        int rc = mosquitto_publish(handle.get(), nullptr, target.replyTopic.c_str(),
                                   static_cast<int>(end.body.size()), end.body.data(), 1, false);
        if (rc != MOSQ_ERR_SUCCESS) {
            kLog.warn("mqtt: publishing {}'s answer to {}: {}", target.function.qualified(),
                      target.replyTopic, mosquitto_strerror(rc));
        }
    }

    void onMessage(const mosquitto_message* message) {
        std::string topic = message->topic ? message->topic : "";
        std::string body(static_cast<const char*>(message->payload),
                         static_cast<size_t>(std::max(message->payloadlen, 0)));
        std::vector<MqttTarget> targets;
        {
            std::lock_guard lock(mutex);
            ++messages;
            targets = targetsLocked(topic);
        }
        for (const auto& target : targets) {
            if (deliverOne(target, topic, body) == Outcome::Withheld) {
                // The PUBACK is queued, not written: make the write fail.
                int fd = mosquitto_socket(handle.get());
                if (fd >= 0) {
                    ::shutdown(fd, SHUT_RDWR);
                }
                kLog.info("mqtt: stopping: a message on {} is left for the broker to resend",
                          topic);
                return;
            }
        }
    }
};

MqttSource::MqttSource(MqttConfig config, Delivery& delivery)
    : core_(std::make_shared<Core>(std::move(config), delivery)) {}

MqttSource::~MqttSource() {
    stop();
}

Result<bool> MqttSource::check(const api::StringMap& annotations) const {
    TRY_ASSIGN(auto filters, mqttTopics(annotations));
    if (filters.empty()) {
        return false;
    }
    TRY(syncMode(annotations));
    return true;
}

void MqttSource::sync(const std::vector<FunctionAnnotations>& functions) {
    api::FunctionMap<MqttFunction> next;
    for (const auto& f : functions) {
        auto filters = mqttTopics(f.annotations);
        auto sync = filters ? syncMode(f.annotations) : Result<bool>(false);
        auto reply = mqttReplyTopic(f.annotations);
        if (!filters || !sync || !reply) {
            const auto& error = !filters ? filters.error() : !sync ? sync.error() : reply.error();
            kLog.warn("mqtt: {}: {}", f.function.qualified(), error.message());
            continue;
        }
        if (filters->empty()) {
            continue;
        }
        auto& fn = next[f.function];
        fn.sync = *sync;
        fn.replyTopic = std::move(*reply);
        for (auto& filter : *filters) {
            fn.filters[std::move(filter)];
        }
    }
    std::lock_guard lock(core_->mutex);
    // Keep the counts of the triggers that stay.
    for (auto& [ref, fn] : next) {
        auto old = core_->functions.find(ref);
        if (old == core_->functions.end()) {
            continue;
        }
        for (auto& [filter, stats] : fn.filters) {
            auto kept = old->second.filters.find(filter);
            if (kept != old->second.filters.end()) {
                stats = std::move(kept->second);
            }
        }
    }
    core_->functions = std::move(next);
    core_->reconcileLocked();
}

void MqttSource::forget(const api::FunctionRef& function) {
    std::unique_lock lock(core_->mutex);
    if (core_->functions.erase(function) == 0) {
        return;
    }
    core_->reconcileLocked();
    core_->changed.wait(lock, [&] { return core_->delivering != function; });
}

void MqttSource::start() {
    auto& core = *core_;
    std::lock_guard lock(core.mutex);
    if (core.run != Core::Run::Idle) {
        return;
    }
    core.run = Core::Run::Running;
    if (auto checked = checkMqttConfig(core.config); !checked) {
        kLog.error("mqtt: not connecting: {}", checked.error().message());
        return;
    }
    core.address = *parseBrokerUrl(core.config.broker);
    initMosquittoOnce();
    core.handle.reset(mosquitto_new(core.config.clientId.c_str(), false, &core));
    auto* h = core.handle.get();
    if (!h) {
        kLog.error("mqtt: not connecting: {}", systemError("creating a client", errno).message());
        return;
    }
    (void)mosquitto_int_option(h, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
    auto delay = [](std::chrono::seconds s) { return static_cast<unsigned>(s.count()); };
    (void)mosquitto_reconnect_delay_set(h, delay(core.config.reconnectMin),
                                        delay(core.config.reconnectMax), true);
    if (!core.config.username.empty()) {
        (void)mosquitto_username_pw_set(
            h, core.config.username.c_str(),
            core.config.password.empty() ? nullptr : core.config.password.c_str());
    }
    if (core.address->tls) {
        const char* caFile = core.config.caFile.empty() ? nullptr : core.config.caFile.c_str();
        const char* caPath = caFile ? nullptr : "/etc/ssl/certs";
        if (int rc = mosquitto_tls_set(h, caFile, caPath, nullptr, nullptr, nullptr);
            rc != MOSQ_ERR_SUCCESS) {
            kLog.error("mqtt: not connecting: TLS: {}", mosquitto_strerror(rc));
            return;
        }
    }
    mosquitto_connect_callback_set(
        h, [](mosquitto*, void* c, int rc) { static_cast<Core*>(c)->onConnect(rc); });
    mosquitto_disconnect_callback_set(
        h, [](mosquitto*, void* c, int rc) { static_cast<Core*>(c)->onDisconnect(rc); });
    mosquitto_subscribe_callback_set(h, [](mosquitto*, void* c, int mid, int n, const int* qos) {
        static_cast<Core*>(c)->onSubscribe(mid, n, qos);
    });
    mosquitto_message_callback_set(h, [](mosquitto*, void* c, const mosquitto_message* m) {
        static_cast<Core*>(c)->onMessage(m);
    });
    // A broker that is down now is no error: the loop reconnects with backoff.
    int rc = mosquitto_connect_async(h, core.address->host.c_str(), core.address->port,
                                     static_cast<int>(core.config.keepAlive.count()));
    if (rc != MOSQ_ERR_SUCCESS) {
        kLog.warn("mqtt: connecting to {}: {}; retrying", core.config.broker,
                  rc == MOSQ_ERR_ERRNO ? systemError("connect", errno).message()
                                       : std::string(mosquitto_strerror(rc)));
    }
    if (rc = mosquitto_loop_start(h); rc != MOSQ_ERR_SUCCESS) {
        kLog.error("mqtt: starting the client's thread: {}", mosquitto_strerror(rc));
        core.handle.reset();
    }
}

void MqttSource::stop() {
    auto& core = *core_;
    {
        std::lock_guard lock(core.mutex);
        if (core.run != Core::Run::Running) {
            core.run = Core::Run::Stopped;
            return;
        }
        core.run = Core::Run::Stopped;
        core.stopping = true;
        if (!core.handle) {
            return;
        }
        // Before on_message wakes: the loop ends on the next error instead of
        // reconnecting.
        (void)mosquitto_disconnect(core.handle.get());
        core.changed.notify_all();
    }
    (void)mosquitto_loop_stop(core.handle.get(), false);
    std::lock_guard lock(core.mutex);
    core.connected = false;
}

std::vector<gateway::TriggerInfo> MqttSource::list() const {
    std::lock_guard lock(core_->mutex);
    std::vector<gateway::TriggerInfo> out;
    for (const auto& [ref, fn] : core_->functions) {
        for (const auto& [filter, stats] : fn.filters) {
            auto sub = core_->subscriptions.find(filter);
            out.push_back({
                .kind = "mqtt",
                .function = ref.name,
                .ns = ref.ns,
                .spec = filter,
                .mode = fn.sync ? "sync" : "async",
                .state = std::string(subscriptionState(
                    core_->connected,
                    sub == core_->subscriptions.end() ? Subscription::Pending : sub->second)),
                .lastRun = stats.lastRun,
                .lastStatus = stats.lastStatus,
                .lastCallId = stats.lastCallId,
                .runs = stats.runs,
                .failed = stats.failed,
            });
        }
    }
    std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
        return std::tie(a.ns, a.function, a.spec) < std::tie(b.ns, b.function, b.spec);
    });
    return out;
}

std::string MqttSource::prometheusText() const {
    std::lock_guard lock(core_->mutex);
    return fmt::format("# HELP faasd_trigger_mqtt_connected Whether the MQTT source is connected "
                       "to its broker.\n"
                       "# TYPE faasd_trigger_mqtt_connected gauge\n"
                       "faasd_trigger_mqtt_connected {}\n"
                       "# HELP faasd_trigger_mqtt_messages_total MQTT messages received.\n"
                       "# TYPE faasd_trigger_mqtt_messages_total counter\n"
                       "faasd_trigger_mqtt_messages_total {}\n",
                       core_->connected ? 1 : 0, core_->messages);
}

} // namespace faasd::triggers
