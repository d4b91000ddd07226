#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

namespace faasd::containerd {

Result<uint32_t> TasksApi::create(const CreateTaskRequest& request) const {
    v1::tasks::CreateTaskRequest req;
    req.set_container_id(request.containerId);
    for (const auto& m : request.rootfs) {
        toProto(m, req.add_rootfs());
    }
    req.set_stdin(request.io.in);
    req.set_stdout(request.io.out);
    req.set_stderr(request.io.err);
    req.set_terminal(request.io.terminal);
    TRY_ASSIGN(auto resp, unaryCall<v1::tasks::CreateTaskResponse>(
                              scope_, fmt::format("creating task {}", request.containerId),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->tasks->Create(ctx, req, out);
                              }));
    return resp.pid();
}

Result<uint32_t> TasksApi::start(const std::string& containerId) const {
    v1::tasks::StartRequest req;
    req.set_container_id(containerId);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::tasks::StartResponse>(
                   scope_, fmt::format("starting task {}", containerId),
                   [&](auto* ctx, auto* out) { return scope_.conn->tasks->Start(ctx, req, out); }));
    return resp.pid();
}

Result<void> TasksApi::kill(const std::string& containerId, int signal, bool all) const {
    v1::tasks::KillRequest req;
    req.set_container_id(containerId);
    req.set_signal(static_cast<uint32_t>(signal));
    req.set_all(all);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("signalling task {}", containerId),
        [&](auto* ctx, auto* out) { return scope_.conn->tasks->Kill(ctx, req, out); }));
    return {};
}

Result<ExitStatus> TasksApi::remove(const std::string& containerId) const {
    v1::tasks::DeleteTaskRequest req;
    req.set_container_id(containerId);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::tasks::DeleteResponse>(
                   scope_, fmt::format("deleting task {}", containerId), [&](auto* ctx, auto* out) {
                       return scope_.conn->tasks->Delete(ctx, req, out);
                   }));
    return ExitStatus{resp.exit_status(), fromProto(resp.exited_at())};
}

Result<Process> TasksApi::get(const std::string& containerId) const {
    v1::tasks::GetRequest req;
    req.set_container_id(containerId);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::tasks::GetResponse>(
                   scope_, fmt::format("getting task {}", containerId),
                   [&](auto* ctx, auto* out) { return scope_.conn->tasks->Get(ctx, req, out); }));
    return fromProto(resp.process());
}

Result<std::vector<Process>> TasksApi::list(const std::string& filter) const {
    v1::tasks::ListTasksRequest req;
    req.set_filter(filter);
    TRY_ASSIGN(auto resp, unaryCall<v1::tasks::ListTasksResponse>(
                              scope_, "listing tasks", [&](auto* ctx, auto* out) {
                                  return scope_.conn->tasks->List(ctx, req, out);
                              }));
    std::vector<Process> out;
    for (const auto& p : resp.tasks()) {
        out.push_back(fromProto(p));
    }
    return out;
}

Result<std::vector<uint32_t>> TasksApi::pids(const std::string& containerId) const {
    v1::tasks::ListPidsRequest req;
    req.set_container_id(containerId);
    TRY_ASSIGN(auto resp, unaryCall<v1::tasks::ListPidsResponse>(
                              scope_, fmt::format("listing processes of task {}", containerId),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->tasks->ListPids(ctx, req, out);
                              }));
    std::vector<uint32_t> out;
    for (const auto& p : resp.processes()) {
        out.push_back(p.pid());
    }
    return out;
}

Result<void> TasksApi::pause(const std::string& containerId) const {
    v1::tasks::PauseTaskRequest req;
    req.set_container_id(containerId);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("pausing task {}", containerId),
        [&](auto* ctx, auto* out) { return scope_.conn->tasks->Pause(ctx, req, out); }));
    return {};
}

Result<void> TasksApi::resume(const std::string& containerId) const {
    v1::tasks::ResumeTaskRequest req;
    req.set_container_id(containerId);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("resuming task {}", containerId),
        [&](auto* ctx, auto* out) { return scope_.conn->tasks->Resume(ctx, req, out); }));
    return {};
}

Result<ExitStatus> TasksApi::wait(const std::string& containerId,
                                  std::optional<std::chrono::milliseconds> timeout) const {
    v1::tasks::WaitRequest req;
    req.set_container_id(containerId);
    grpc::ClientContext ctx;
    prepareContext(ctx, scope_, timeout ? timeout : scope_.streamTimeout);
    v1::tasks::WaitResponse resp;
    auto status = scope_.conn->tasks->Wait(&ctx, req, &resp);
    if (!status.ok()) {
        return fail(
            toError(status, fmt::format("waiting for task {}", containerId), scope_.conn->socket));
    }
    return ExitStatus{resp.exit_status(), fromProto(resp.exited_at())};
}

} // namespace faasd::containerd
