#include "containerd/connection.hpp"
#include "containerd/convert.hpp"

namespace faasd::containerd {
namespace {

Image fromProto(const v1::images::Image& img) {
    return Image{img.name(), containerd::fromProto(img.labels()),
                 containerd::fromProto(img.target()), containerd::fromProto(img.created_at()),
                 containerd::fromProto(img.updated_at())};
}

void toProto(const Image& img, v1::images::Image* out) {
    out->set_name(img.name);
    containerd::toProto(img.labels, out->mutable_labels());
    containerd::toProto(img.target, out->mutable_target());
}

} // namespace

Result<Image> ImagesApi::get(const std::string& name) const {
    v1::images::GetImageRequest req;
    req.set_name(name);
    TRY_ASSIGN(auto resp,
               unaryCall<v1::images::GetImageResponse>(
                   scope_, fmt::format("getting image {}", name),
                   [&](auto* ctx, auto* out) { return scope_.conn->images->Get(ctx, req, out); }));
    return fromProto(resp.image());
}

Result<std::vector<Image>> ImagesApi::list(const std::vector<std::string>& filters) const {
    v1::images::ListImagesRequest req;
    for (const auto& f : filters) {
        req.add_filters(f);
    }
    TRY_ASSIGN(auto resp, unaryCall<v1::images::ListImagesResponse>(
                              scope_, "listing images", [&](auto* ctx, auto* out) {
                                  return scope_.conn->images->List(ctx, req, out);
                              }));
    std::vector<Image> out;
    for (const auto& img : resp.images()) {
        out.push_back(fromProto(img));
    }
    return out;
}

Result<Image> ImagesApi::create(const Image& image) const {
    if (image.name.empty()) {
        return fail(Code::InvalidArgument, "creating an image: empty name");
    }
    v1::images::CreateImageRequest req;
    toProto(image, req.mutable_image());
    TRY_ASSIGN(auto resp,
               unaryCall<v1::images::CreateImageResponse>(
                   scope_, fmt::format("creating image {}", image.name), [&](auto* ctx, auto* out) {
                       return scope_.conn->images->Create(ctx, req, out);
                   }));
    return fromProto(resp.image());
}

Result<Image> ImagesApi::update(const Image& image) const {
    v1::images::UpdateImageRequest req;
    toProto(image, req.mutable_image());
    req.mutable_update_mask()->add_paths("target");
    req.mutable_update_mask()->add_paths("labels");
    TRY_ASSIGN(auto resp,
               unaryCall<v1::images::UpdateImageResponse>(
                   scope_, fmt::format("updating image {}", image.name), [&](auto* ctx, auto* out) {
                       return scope_.conn->images->Update(ctx, req, out);
                   }));
    return fromProto(resp.image());
}

Result<void> ImagesApi::remove(const std::string& name, bool sync) const {
    v1::images::DeleteImageRequest req;
    req.set_name(name);
    req.set_sync(sync);
    TRY(unaryCall<google::protobuf::Empty>(
        scope_, fmt::format("deleting image {}", name),
        [&](auto* ctx, auto* out) { return scope_.conn->images->Delete(ctx, req, out); }));
    return {};
}

} // namespace faasd::containerd
