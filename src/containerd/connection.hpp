#pragma once

// Internal to src/containerd: the gRPC channel, the stubs, and the helper
// every unary call goes through. Includes generated code; never include it
// from a public header.

#include "common/error.hpp"
#include "containerd/client.hpp"

#include <containers.grpc.pb.h>
#include <content.grpc.pb.h>
#include <diff.grpc.pb.h>
#include <events.grpc.pb.h>
#include <grpcpp/grpcpp.h>
#include <images.grpc.pb.h>
#include <leases.grpc.pb.h>
#include <namespaces.grpc.pb.h>
#include <optional>
#include <snapshots.grpc.pb.h>
#include <string_view>
#include <tasks.grpc.pb.h>
#include <version.grpc.pb.h>

namespace faasd::containerd {

namespace v1 {
namespace containers = ::containerd::services::containers::v1;
namespace content = ::containerd::services::content::v1;
namespace diff = ::containerd::services::diff::v1;
namespace events = ::containerd::services::events::v1;
namespace images = ::containerd::services::images::v1;
namespace leases = ::containerd::services::leases::v1;
namespace namespaces = ::containerd::services::namespaces::v1;
namespace snapshots = ::containerd::services::snapshots::v1;
namespace tasks = ::containerd::services::tasks::v1;
namespace version = ::containerd::services::version::v1;
} // namespace v1

struct Connection {
    std::string socket;
    std::shared_ptr<grpc::Channel> channel;
    std::unique_ptr<v1::containers::Containers::Stub> containers;
    std::unique_ptr<v1::content::Content::Stub> content;
    std::unique_ptr<v1::diff::Diff::Stub> diff;
    std::unique_ptr<v1::events::Events::Stub> events;
    std::unique_ptr<v1::images::Images::Stub> images;
    std::unique_ptr<v1::leases::Leases::Stub> leases;
    std::unique_ptr<v1::namespaces::Namespaces::Stub> namespaces;
    std::unique_ptr<v1::snapshots::Snapshots::Stub> snapshots;
    std::unique_ptr<v1::tasks::Tasks::Stub> tasks;
    std::unique_ptr<v1::version::Version::Stub> version;
};

// Maps a gRPC status to an Error "what: message".
Error toError(const grpc::Status& status, std::string_view what, const std::string& socket);

// Sets the namespace and lease headers and the deadline (nullopt: none).
void prepareContext(grpc::ClientContext& ctx, const CallScope& scope,
                    std::optional<std::chrono::milliseconds> timeout);

// Whether a failed call should be retried once after waiting for the
// connection: only when the channel was not connected.
bool awaitReconnect(const CallScope& scope, const grpc::Status& status);

// Runs one unary call: fn(ctx, response) -> grpc::Status.
template <typename Response, typename Fn>
Result<Response> unaryCall(const CallScope& scope, std::string_view what, Fn&& fn) {
    for (int attempt = 0;; ++attempt) {
        grpc::ClientContext ctx;
        prepareContext(ctx, scope, scope.timeout);
        Response response;
        grpc::Status status = fn(&ctx, &response);
        if (status.ok()) {
            return response;
        }
        if (attempt == 0 && awaitReconnect(scope, status)) {
            continue;
        }
        return fail(toError(status, what, scope.conn->socket));
    }
}

} // namespace faasd::containerd
