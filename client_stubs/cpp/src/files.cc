#include "wxgate_client/files.h"

#include <filesystem>
#include <fstream>

namespace wxgate_client {

using wechat::mp::v1::UploadMediaRequest;

grpc::Status UploadMedia(wechat::mp::v1::MaterialService::StubInterface& material,
                         grpc::ClientContext& context, wechat::mp::v1::MaterialMediaType type,
                         const std::string& filename, std::istream& in,
                         wechat::mp::v1::UploadMediaResponse* response) {
  std::unique_ptr<grpc::ClientWriterInterface<UploadMediaRequest>> writer =
      material.UploadMedia(&context, response);
  return SendPieces(*writer, in, [&](std::string content, bool first, UploadMediaRequest* request) {
    request->mutable_media()->set_content(std::move(content));
    if (first) {
      request->set_type(type);
      request->mutable_media()->set_filename(filename);
    }
  });
}

grpc::Status UploadMediaFile(wechat::mp::v1::MaterialService::StubInterface& material,
                             grpc::ClientContext& context, wechat::mp::v1::MaterialMediaType type,
                             const std::string& path,
                             wechat::mp::v1::UploadMediaResponse* response) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "cannot read " + path);
  return UploadMedia(material, context, type, std::filesystem::path(path).filename().string(), in,
                     response);
}

grpc::Status DownloadMedia(wechat::mp::v1::MaterialService::StubInterface& material,
                           grpc::ClientContext& context, const std::string& media_id,
                           std::ostream& out, wxgate::file::v1::FileChunk* meta) {
  wechat::mp::v1::GetMediaRequest request;
  request.set_media_id(media_id);
  auto reader = material.GetMedia(&context, request);
  return ReceiveFile(*reader, out, meta);
}

grpc::Status DownloadMediaFile(wechat::mp::v1::MaterialService::StubInterface& material,
                               grpc::ClientContext& context, const std::string& media_id,
                               const std::string& path, wxgate::file::v1::FileChunk* meta) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "cannot write " + path);
  grpc::Status status = DownloadMedia(material, context, media_id, out, meta);
  out.close();
  if (status.ok() && !out)
    return grpc::Status(grpc::StatusCode::INTERNAL, "writing " + path + " failed");
  return status;
}

}  // namespace wxgate_client
