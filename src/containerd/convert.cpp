#include "containerd/convert.hpp"

#include <event_types.pb.h>

namespace faasd::containerd {

Timestamp fromProto(const google::protobuf::Timestamp& ts) {
    return Timestamp(std::chrono::duration_cast<Timestamp::duration>(
        std::chrono::seconds(ts.seconds()) + std::chrono::nanoseconds(ts.nanos())));
}

void toProto(Timestamp tp, google::protobuf::Timestamp* out) {
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(tp.time_since_epoch()).count();
    int64_t secs = ns / 1'000'000'000;
    int64_t nanos = ns % 1'000'000'000;
    if (nanos < 0) {
        secs -= 1;
        nanos += 1'000'000'000;
    }
    out->set_seconds(secs);
    out->set_nanos(static_cast<int32_t>(nanos));
}

Labels fromProto(const google::protobuf::Map<std::string, std::string>& map) {
    return Labels(map.begin(), map.end());
}

void toProto(const Labels& labels, google::protobuf::Map<std::string, std::string>* out) {
    out->clear();
    for (const auto& [k, v] : labels) {
        (*out)[k] = v;
    }
}

Mount fromProto(const ::containerd::types::Mount& m) {
    return Mount{m.type(), m.source(), m.target(), {m.options().begin(), m.options().end()}};
}

void toProto(const Mount& m, ::containerd::types::Mount* out) {
    out->set_type(m.type);
    out->set_source(m.source);
    out->set_target(m.target);
    for (const auto& o : m.options) {
        out->add_options(o);
    }
}

Descriptor fromProto(const ::containerd::types::Descriptor& d) {
    return Descriptor{d.media_type(), d.digest(), d.size(), fromProto(d.annotations())};
}

void toProto(const Descriptor& d, ::containerd::types::Descriptor* out) {
    out->set_media_type(d.mediaType);
    out->set_digest(d.digest);
    out->set_size(d.size);
    toProto(d.annotations, out->mutable_annotations());
}

TaskStatus fromProto(::containerd::v1::types::Status status) {
    switch (status) {
    case ::containerd::v1::types::CREATED:
        return TaskStatus::Created;
    case ::containerd::v1::types::RUNNING:
        return TaskStatus::Running;
    case ::containerd::v1::types::STOPPED:
        return TaskStatus::Stopped;
    case ::containerd::v1::types::PAUSED:
        return TaskStatus::Paused;
    case ::containerd::v1::types::PAUSING:
        return TaskStatus::Pausing;
    default:
        return TaskStatus::Unknown;
    }
}

const char* taskStatusName(TaskStatus status) {
    switch (status) {
    case TaskStatus::Created:
        return "created";
    case TaskStatus::Running:
        return "running";
    case TaskStatus::Stopped:
        return "stopped";
    case TaskStatus::Paused:
        return "paused";
    case TaskStatus::Pausing:
        return "pausing";
    case TaskStatus::Unknown:
        break;
    }
    return "unknown";
}

Process fromProto(const ::containerd::v1::types::Process& p) {
    Process out;
    out.id = p.id();
    // Task lists name the container only in id.
    out.containerId = p.container_id().empty() ? p.id() : p.container_id();
    out.pid = p.pid();
    out.status = fromProto(p.status());
    out.stdinPath = p.stdin();
    out.stdoutPath = p.stdout();
    out.stderrPath = p.stderr();
    out.exitStatus = p.exit_status();
    out.exitedAt = fromProto(p.exited_at());
    return out;
}

namespace {

// "types.containerd.io/containerd.events.TaskExit" and
// "containerd.events.TaskExit" both name containerd.events.TaskExit.
bool isType(const std::string& typeUrl, std::string_view fullName) {
    if (typeUrl.size() < fullName.size()) {
        return false;
    }
    std::string_view tail(typeUrl.data() + typeUrl.size() - fullName.size(), fullName.size());
    if (tail != fullName) {
        return false;
    }
    return typeUrl.size() == fullName.size() ||
           typeUrl[typeUrl.size() - fullName.size() - 1] == '/';
}

template <typename Message> bool unpack(const google::protobuf::Any& any, Message& out) {
    return out.ParseFromString(any.value());
}

} // namespace

EventPayload decodeEvent(const google::protobuf::Any& any) {
    namespace ev = ::containerd::events;
    const std::string& url = any.type_url();
    if (isType(url, "containerd.events.TaskExit")) {
        ev::TaskExit m;
        if (unpack(any, m)) {
            return TaskExitEvent{m.container_id(), m.id(), m.pid(), m.exit_status(),
                                 fromProto(m.exited_at())};
        }
    } else if (isType(url, "containerd.events.TaskStart")) {
        ev::TaskStart m;
        if (unpack(any, m)) {
            return TaskStartEvent{m.container_id(), m.pid()};
        }
    } else if (isType(url, "containerd.events.TaskCreate")) {
        ev::TaskCreate m;
        if (unpack(any, m)) {
            return TaskCreateEvent{m.container_id(), m.pid()};
        }
    } else if (isType(url, "containerd.events.TaskDelete")) {
        ev::TaskDelete m;
        if (unpack(any, m)) {
            return TaskDeleteEvent{m.container_id(), m.pid(), m.exit_status()};
        }
    } else if (isType(url, "containerd.events.TaskOOM")) {
        ev::TaskOOM m;
        if (unpack(any, m)) {
            return TaskOomEvent{m.container_id()};
        }
    } else if (isType(url, "containerd.events.TaskPaused")) {
        ev::TaskPaused m;
        if (unpack(any, m)) {
            return TaskPausedEvent{m.container_id()};
        }
    } else if (isType(url, "containerd.events.TaskResumed")) {
        ev::TaskResumed m;
        if (unpack(any, m)) {
            return TaskResumedEvent{m.container_id()};
        }
    } else if (isType(url, "containerd.events.ContainerCreate")) {
        ev::ContainerCreate m;
        if (unpack(any, m)) {
            return ContainerCreateEvent{m.id(), m.image()};
        }
    } else if (isType(url, "containerd.events.ContainerUpdate")) {
        ev::ContainerUpdate m;
        if (unpack(any, m)) {
            return ContainerUpdateEvent{m.id(), fromProto(m.labels())};
        }
    } else if (isType(url, "containerd.events.ContainerDelete")) {
        ev::ContainerDelete m;
        if (unpack(any, m)) {
            return ContainerDeleteEvent{m.id()};
        }
    }
    return OtherEvent{url};
}

} // namespace faasd::containerd
