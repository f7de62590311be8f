#include "service/server/grpc_labels.h"

#include "absl/strings/str_replace.h"
#include "google/protobuf/descriptor.h"

namespace wxgate {

std::string MethodLabel(const char* path) {
  std::string name = path == nullptr ? "" : path;
  if (name.size() < 2 || name[0] != '/') return "unknown";
  const std::string full = absl::StrReplaceAll(name.substr(1), {{"/", "."}});
  return google::protobuf::DescriptorPool::generated_pool()->FindMethodByName(full) != nullptr
             ? name
             : "unknown";
}

std::string CodeLabel(grpc::StatusCode code) {
  static constexpr const char* kNames[] = {"OK",
                                           "CANCELLED",
                                           "UNKNOWN",
                                           "INVALID_ARGUMENT",
                                           "DEADLINE_EXCEEDED",
                                           "NOT_FOUND",
                                           "ALREADY_EXISTS",
                                           "PERMISSION_DENIED",
                                           "RESOURCE_EXHAUSTED",
                                           "FAILED_PRECONDITION",
                                           "ABORTED",
                                           "OUT_OF_RANGE",
                                           "UNIMPLEMENTED",
                                           "INTERNAL",
                                           "UNAVAILABLE",
                                           "DATA_LOSS",
                                           "UNAUTHENTICATED"};
  const int index = static_cast<int>(code);
  return index >= 0 && index < 17 ? kNames[index] : "UNKNOWN";
}

}  // namespace wxgate
