#pragma once

// Internal to src/containerd: conversions between generated messages and
// the plain types of types.hpp.

#include "containerd/types.hpp"

#include <google/protobuf/any.pb.h>
#include <google/protobuf/map.h>
#include <google/protobuf/timestamp.pb.h>
#include <task_types.pb.h>
#include <types.pb.h>

namespace faasd::containerd {

Timestamp fromProto(const google::protobuf::Timestamp& ts);
void toProto(Timestamp tp, google::protobuf::Timestamp* out);

Labels fromProto(const google::protobuf::Map<std::string, std::string>& map);
void toProto(const Labels& labels, google::protobuf::Map<std::string, std::string>* out);

Mount fromProto(const ::containerd::types::Mount& m);
void toProto(const Mount& m, ::containerd::types::Mount* out);

Descriptor fromProto(const ::containerd::types::Descriptor& d);
void toProto(const Descriptor& d, ::containerd::types::Descriptor* out);

TaskStatus fromProto(::containerd::v1::types::Status status);
Process fromProto(const ::containerd::v1::types::Process& p);

// The type URL containerd uses for an OCI runtime spec in an Any.
inline constexpr const char* kSpecTypeUrl =
    "types.containerd.io/opencontainers/runtime-spec/1/Spec";

// Decodes an event envelope's payload by its type URL.
EventPayload decodeEvent(const google::protobuf::Any& any);

} // namespace faasd::containerd
