#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

#include <catch2/catch.hpp>
#include <event_types.pb.h>

using namespace faasd;
using namespace faasd::containerd;

TEST_CASE("gRPC statuses map to the project's codes with context", "[containerd]") {
    auto e = toError(grpc::Status(grpc::StatusCode::NOT_FOUND, "image \"x\": not found"),
                     "getting image x", "/run/c.sock");
    CHECK(e.code() == Code::NotFound);
    CHECK(e.message() == "getting image x: image \"x\": not found");
    CHECK(toError(grpc::Status(grpc::StatusCode::ALREADY_EXISTS, ""), "a", "s").code() ==
          Code::AlreadyExists);
    CHECK(toError(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION, ""), "a", "s").code() ==
          Code::FailedPrecondition);
    CHECK(toError(grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED, ""), "a", "s").code() ==
          Code::Timeout);
    auto down = toError(grpc::Status(grpc::StatusCode::UNAVAILABLE, "connection refused"),
                        "listing tasks", "/run/c.sock");
    CHECK(down.code() == Code::Unavailable);
    CHECK(down.message().find("/run/c.sock") != std::string::npos);
}

TEST_CASE("timestamps round-trip with nanoseconds", "[containerd]") {
    google::protobuf::Timestamp ts;
    ts.set_seconds(1'700'000'000);
    ts.set_nanos(123'456'789);
    auto tp = fromProto(ts);
    google::protobuf::Timestamp back;
    toProto(tp, &back);
    CHECK(back.seconds() == ts.seconds());
    CHECK(back.nanos() == ts.nanos());
}

TEST_CASE("events decode by type URL", "[containerd]") {
    ::containerd::events::TaskExit exit;
    exit.set_container_id("say-1");
    exit.set_id("say-1");
    exit.set_pid(42);
    exit.set_exit_status(137);
    google::protobuf::Any any;
    any.set_type_url("containerd.events.TaskExit");
    any.set_value(exit.SerializeAsString());
    auto payload = decodeEvent(any);
    auto* e = std::get_if<TaskExitEvent>(&payload);
    REQUIRE(e);
    CHECK(e->containerId == "say-1");
    CHECK(e->exitStatus == 137);

    any.set_type_url("types.containerd.io/containerd.events.TaskOOM");
    ::containerd::events::TaskOOM oom;
    oom.set_container_id("say-2");
    any.set_value(oom.SerializeAsString());
    auto p2 = decodeEvent(any);
    REQUIRE(std::holds_alternative<TaskOomEvent>(p2));
    CHECK(std::get<TaskOomEvent>(p2).containerId == "say-2");

    any.set_type_url("containerd.events.NotTaskExit");
    auto p3 = decodeEvent(any);
    REQUIRE(std::holds_alternative<OtherEvent>(p3));
    CHECK(std::get<OtherEvent>(p3).typeUrl == "containerd.events.NotTaskExit");
}

TEST_CASE("mounts and descriptors convert both ways", "[containerd]") {
    Mount m{"overlay", "overlay", "", {"lowerdir=/a", "upperdir=/b"}};
    ::containerd::types::Mount pm;
    toProto(m, &pm);
    auto back = fromProto(pm);
    CHECK(back.type == "overlay");
    CHECK(back.options == m.options);

    Descriptor d{"application/vnd.oci.image.manifest.v1+json", "sha256:abc", 12, {{"k", "v"}}};
    ::containerd::types::Descriptor pd;
    toProto(d, &pd);
    auto dd = fromProto(pd);
    CHECK(dd.digest == "sha256:abc");
    CHECK(dd.size == 12);
    CHECK(dd.annotations.at("k") == "v");
}

TEST_CASE("connect rejects empty settings", "[containerd]") {
    CHECK_FALSE(Client::connect({.socket = ""}));
    CHECK_FALSE(Client::connect({.socket = "/x.sock", .ns = ""}));
    auto c = Client::connect({.socket = "/nonexistent/x.sock"});
    REQUIRE(c);
    auto v = c->withTimeout(std::chrono::milliseconds(500)).version();
    REQUIRE_FALSE(v);
    CHECK(v.error().code() == Code::Unavailable);
    CHECK(v.error().message().find("/nonexistent/x.sock") != std::string::npos);
}
