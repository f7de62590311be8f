// Files in pieces: client-streaming uploads from a stream or file, and downloads to
// a stream or file.
//
//   grpc::ClientContext context;
//   gateway.Prepare(context);
//   std::ifstream in("photo.jpg", std::ios::binary);
//   UploadMediaResponse uploaded;
//   grpc::Status s = wxgate_client::UploadMedia(*material, context,
//       MATERIAL_MEDIA_TYPE_IMAGE, "photo.jpg", in, &uploaded);
#ifndef WXGATE_CLIENT_FILES_H_
#define WXGATE_CLIENT_FILES_H_

#include <grpcpp/grpcpp.h>

#include <istream>
#include <ostream>
#include <string>

#include "wechat/mp/v1/material.grpc.pb.h"
#include "wxgate/file/v1/file.pb.h"

namespace wxgate_client {

// How many bytes of a file each upload message carries.
inline constexpr size_t kPieceSize = 64 * 1024;

// Writes `in` to a client-streaming upload, one message per piece of at most
// kPieceSize bytes (an empty file is one empty piece); `piece` fills a message
// from a piece (first: the one that carries the other fields). Then WritesDone and
// Finish: the call's status.
// Piece: void(std::string content, bool first, Request*).
template <typename Request, typename Piece>
grpc::Status SendPieces(grpc::ClientWriterInterface<Request>& writer, std::istream& in,
                        Piece&& piece) {
  std::string buffer(kPieceSize, '\0');
  bool first = true;
  while (true) {
    in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    size_t n = static_cast<size_t>(in.gcount());
    if (n == 0 && !first) break;
    Request request;
    piece(buffer.substr(0, n), first, &request);
    first = false;
    if (!writer.Write(request)) break;  // the call ended; Finish says why
    if (n < buffer.size()) break;
  }
  writer.WritesDone();
  return writer.Finish();
}

// Uploads temporary media (MaterialService/UploadMedia); filename's extension tells
// WeChat the format.
grpc::Status UploadMedia(wechat::mp::v1::MaterialService::StubInterface& material,
                         grpc::ClientContext& context, wechat::mp::v1::MaterialMediaType type,
                         const std::string& filename, std::istream& in,
                         wechat::mp::v1::UploadMediaResponse* response);
// Uploads the file at path, named by its file name.
grpc::Status UploadMediaFile(wechat::mp::v1::MaterialService::StubInterface& material,
                             grpc::ClientContext& context, wechat::mp::v1::MaterialMediaType type,
                             const std::string& path,
                             wechat::mp::v1::UploadMediaResponse* response);

// Writes a download stream's file (GetMedia, GetMaterial, GetHdVoice,
// GetQrcodeImage, DownloadNontaxBill) to `out`; *meta gets the first chunk's
// content type, name and size. Returns the call's status.
template <typename Response>
grpc::Status ReceiveFile(grpc::ClientReaderInterface<Response>& reader, std::ostream& out,
                         wxgate::file::v1::FileChunk* meta) {
  Response message;
  bool first = true;
  while (reader.Read(&message)) {
    if (!message.has_file()) continue;  // a video's URL instead of a file
    if (first) {
      *meta = message.file();
      meta->clear_data();
      first = false;
    }
    out.write(message.file().data().data(),
              static_cast<std::streamsize>(message.file().data().size()));
  }
  grpc::Status status = reader.Finish();
  if (status.ok() && first)
    return grpc::Status(grpc::StatusCode::NOT_FOUND, "the download carried no file");
  if (status.ok() && !out)
    return grpc::Status(grpc::StatusCode::INTERNAL, "writing the download failed");
  return status;
}

// Writes the temporary media media_id to `out`, or to the file at path.
grpc::Status DownloadMedia(wechat::mp::v1::MaterialService::StubInterface& material,
                           grpc::ClientContext& context, const std::string& media_id,
                           std::ostream& out, wxgate::file::v1::FileChunk* meta);
grpc::Status DownloadMediaFile(wechat::mp::v1::MaterialService::StubInterface& material,
                               grpc::ClientContext& context, const std::string& media_id,
                               const std::string& path, wxgate::file::v1::FileChunk* meta);

}  // namespace wxgate_client

#endif  // WXGATE_CLIENT_FILES_H_
