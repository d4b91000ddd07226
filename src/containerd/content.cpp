#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

#include <vector>

namespace faasd::containerd {
namespace {

constexpr size_t kChunk = 1 << 20;

ContentInfo fromProto(const v1::content::Info& info) {
    return ContentInfo{info.digest(), info.size(), containerd::fromProto(info.created_at()),
                       containerd::fromProto(info.updated_at()),
                       containerd::fromProto(info.labels())};
}

IngestStatus fromProto(const v1::content::Status& s) {
    return IngestStatus{s.ref(), s.offset(), s.total(), s.expected()};
}

} // namespace

Result<void> StringSource::seek(int64_t offset) {
    if (offset < 0 || static_cast<size_t>(offset) > data_.size()) {
        return fail(Code::InvalidArgument, "seek to {} past the end ({} bytes)", offset,
                    data_.size());
    }
    pos_ = static_cast<size_t>(offset);
    return {};
}

Result<size_t> StringSource::read(std::span<char> buf) {
    size_t n = std::min(buf.size(), data_.size() - pos_);
    std::copy_n(data_.data() + pos_, n, buf.data());
    pos_ += n;
    return n;
}

Result<ContentInfo> ContentApi::info(const std::string& digest) const {
    v1::content::InfoRequest req;
    req.set_digest(digest);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::content::InfoResponse>(
                   scope_, fmt::format("getting content {}", digest), [&](auto* ctx, auto* out) {
                       return scope_.conn->content->Info(ctx, req, out);
                   }));
    return fromProto(resp.info());
}

Result<std::vector<ContentInfo>> ContentApi::list(const std::vector<std::string>& filters) const {
    v1::content::ListContentRequest req;
    for (const auto& f : filters) {
        req.add_filters(f);
    }
    grpc::ClientContext ctx;
    prepareContext(ctx, scope_, scope_.timeout);
    auto reader = scope_.conn->content->List(&ctx, req);
    std::vector<ContentInfo> out;
    v1::content::ListContentResponse resp;
    while (reader->Read(&resp)) {
        for (const auto& info : resp.info()) {
            out.push_back(fromProto(info));
        }
    }
    auto status = reader->Finish();
    if (!status.ok()) {
        return fail(toError(status, "listing content", scope_.conn->socket));
    }
    return out;
}

Result<ContentInfo> ContentApi::setLabels(const std::string& digest, const Labels& labels) const {
    v1::content::UpdateRequest req;
    req.mutable_info()->set_digest(digest);
    toProto(labels, req.mutable_info()->mutable_labels());
    req.mutable_update_mask()->add_paths("labels");
    TRY_ASSIGN(auto resp, unaryCall<v1::content::UpdateResponse>(
                              scope_, fmt::format("updating labels of content {}", digest),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->content->Update(ctx, req, out);
                              }));
    return fromProto(resp.info());
}

Result<ContentInfo> ContentApi::setLabel(const std::string& digest, const std::string& key,
                                         const std::string& value) const {
    v1::content::UpdateRequest req;
    req.mutable_info()->set_digest(digest);
    if (!value.empty()) {
        (*req.mutable_info()->mutable_labels())[key] = value;
    }
    req.mutable_update_mask()->add_paths("labels." + key);
    TRY_ASSIGN(auto resp, unaryCall<v1::content::UpdateResponse>(
                              scope_, fmt::format("setting label {} of content {}", key, digest),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->content->Update(ctx, req, out);
                              }));
    return fromProto(resp.info());
}

Result<void> ContentApi::remove(const std::string& digest) const {
    v1::content::DeleteContentRequest req;
    req.set_digest(digest);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("deleting content {}", digest),
        [&](auto* ctx, auto* out) { return scope_.conn->content->Delete(ctx, req, out); }));
    return {};
}

Result<IngestStatus> ContentApi::status(const std::string& ref) const {
    v1::content::StatusRequest req;
    req.set_ref(ref);
    TRY_ASSIGN(auto resp, unaryCall<v1::content::StatusResponse>(
                              scope_, fmt::format("getting status of write {}", ref),
                              [&](auto* ctx, auto* out) {
                                  return scope_.conn->content->Status(ctx, req, out);
                              }));
    return fromProto(resp.status());
}

Result<std::vector<IngestStatus>>
ContentApi::listStatuses(const std::vector<std::string>& filters) const {
    v1::content::ListStatusesRequest req;
    for (const auto& f : filters) {
        req.add_filters(f);
    }
    TRY_ASSIGN(auto resp, unaryCall<v1::content::ListStatusesResponse>(
                              scope_, "listing content writes", [&](auto* ctx, auto* out) {
                                  return scope_.conn->content->ListStatuses(ctx, req, out);
                              }));
    std::vector<IngestStatus> out;
    for (const auto& s : resp.statuses()) {
        out.push_back(fromProto(s));
    }
    return out;
}

Result<void> ContentApi::abort(const std::string& ref) const {
    v1::content::AbortRequest req;
    req.set_ref(ref);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("aborting write {}", ref),
        [&](auto* ctx, auto* out) { return scope_.conn->content->Abort(ctx, req, out); }));
    return {};
}

Result<void> ContentApi::write(const ContentWrite& w, ByteSource& source) const {
    const std::string what = fmt::format("writing content {}", w.digest);
    if (w.ref.empty() || w.digest.empty()) {
        return fail(Code::InvalidArgument, "{}: a ref and an expected digest are required", what);
    }
    grpc::ClientContext ctx;
    prepareContext(ctx, scope_, scope_.streamTimeout);
    auto stream = scope_.conn->content->Write(&ctx);

    // Fails the write: aborts the ingest so nothing is left behind.
    auto failWith = [&](Error error, bool abortIngest) -> Result<void> {
        stream->WritesDone();
        v1::content::WriteContentResponse ignored;
        while (stream->Read(&ignored)) {
        }
        auto status = stream->Finish();
        if (!status.ok() && error.code() == Code::Internal) {
            error = toError(status, what, scope_.conn->socket);
        }
        if (abortIngest) {
            (void)abort(w.ref);
        }
        return fail(std::move(error));
    };
    auto finishError = [&]() -> Error {
        stream->WritesDone();
        return toError(stream->Finish(), what, scope_.conn->socket);
    };

    v1::content::WriteContentRequest req;
    v1::content::WriteContentResponse resp;
    req.set_action(v1::content::STAT);
    req.set_ref(w.ref);
    req.set_expected(w.digest);
    if (w.size >= 0) {
        req.set_total(w.size);
    }
    if (!stream->Write(req) || !stream->Read(&resp)) {
        Error err = finishError();
        if (err.code() == Code::AlreadyExists) {
            return {}; // the blob is already in the store
        }
        return fail(std::move(err));
    }
    int64_t offset = resp.offset();
    if (w.size >= 0 && offset > w.size) {
        return failWith(Error(Code::FailedPrecondition,
                              fmt::format("{}: earlier write of {} is at {}, past size {}", what,
                                          w.ref, offset, w.size)),
                        true);
    }
    if (auto r = source.seek(offset); !r) {
        return failWith(std::move(r).error().context(what), false);
    }

    std::vector<char> buf(kChunk);
    for (;;) {
        auto n = source.read(buf);
        if (!n) {
            return failWith(std::move(n).error().context(what), false);
        }
        if (*n == 0) {
            break;
        }
        req.Clear();
        req.set_action(v1::content::WRITE);
        req.set_ref(w.ref);
        req.set_offset(offset);
        req.set_data(buf.data(), *n);
        if (!stream->Write(req) || !stream->Read(&resp)) {
            return fail(finishError());
        }
        offset += static_cast<int64_t>(*n);
        if (w.size >= 0 && offset > w.size) {
            return failWith(Error(Code::FailedPrecondition,
                                  fmt::format("{}: more than the expected {} bytes", what, w.size)),
                            true);
        }
    }

    req.Clear();
    req.set_action(v1::content::COMMIT);
    req.set_ref(w.ref);
    req.set_offset(offset); // an offset of 0 would truncate what was written
    req.set_expected(w.digest);
    req.set_total(w.size >= 0 ? w.size : offset);
    toProto(w.labels, req.mutable_labels());
    if (!stream->Write(req) || !stream->Read(&resp)) {
        Error err = finishError();
        if (err.code() == Code::AlreadyExists) {
            return {};
        }
        // A mismatched digest or size: the ingest is useless, drop it.
        (void)abort(w.ref);
        if (err.code() == Code::Internal || err.code() == Code::InvalidArgument) {
            err = Error(Code::FailedPrecondition, err.message());
        }
        return fail(std::move(err));
    }
    stream->WritesDone();
    while (stream->Read(&resp)) {
        // The server ends the stream after a commit; drain until it does.
    }
    auto status = stream->Finish();
    if (!status.ok()) {
        return fail(toError(status, what, scope_.conn->socket));
    }
    return {};
}

Result<void> ContentApi::read(const std::string& digest,
                              const std::function<Result<void>(std::string_view)>& sink,
                              int64_t offset, int64_t size) const {
    v1::content::ReadContentRequest req;
    req.set_digest(digest);
    req.set_offset(offset);
    req.set_size(size);
    grpc::ClientContext ctx;
    prepareContext(ctx, scope_, scope_.streamTimeout);
    auto reader = scope_.conn->content->Read(&ctx, req);
    v1::content::ReadContentResponse resp;
    while (reader->Read(&resp)) {
        if (auto r = sink(resp.data()); !r) {
            ctx.TryCancel();
            (void)reader->Finish();
            return r;
        }
    }
    auto status = reader->Finish();
    if (!status.ok()) {
        return fail(
            toError(status, fmt::format("reading content {}", digest), scope_.conn->socket));
    }
    return {};
}

Result<std::string> ContentApi::readAll(const std::string& digest, int64_t maxSize) const {
    std::string out;
    TRY(read(digest, [&](std::string_view chunk) -> Result<void> {
        if (static_cast<int64_t>(out.size() + chunk.size()) > maxSize) {
            return fail(Code::ResourceExhausted, "content {} is larger than {} bytes", digest,
                        maxSize);
        }
        out.append(chunk);
        return {};
    }));
    return out;
}

} // namespace faasd::containerd
