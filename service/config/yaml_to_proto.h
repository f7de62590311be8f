// YamlToMessage: fills a protobuf message from a YAML document, generically,
// through the message's descriptor (no code per field).
//
//   message Upstream { string base_url = 1; google.protobuf.Duration timeout = 3; }
//   "upstream: {base_url: https://x, timeout: 500ms}"  -> upstream { base_url: "https://x"
//                                                                    timeout { nanos: 500000000 } }
//   "upstream: {timout: 5s}"                           -> InvalidArgument
//       "upstream.timout: unknown key (known keys: base_url, ca_file, timeout, max_connections)"
//
// The mapping, by field kind:
//   message            a YAML mapping whose keys are the proto field names
//   repeated field     a YAML list (each element mapped by the field's kind)
//   map<K, V>          a YAML mapping (keys mapped as K, values as V)
//   string, bytes      any scalar, verbatim
//   bool               true or false (case-insensitive)
//   integers           decimal, range-checked against the field's type
//   float, double      a decimal number
//   enum               the value's name ("TOKEN_API_CLASSIC") or, case-insensitively,
//                      the name without the enum's UPPER_SNAKE prefix ("classic")
//   google.protobuf.Duration
//                      a string absl::ParseDuration accepts ("500ms", "5s", "1m");
//                      negative or infinite durations are errors
// A null value (`key:`, `key: ~`) leaves the field unset. Errors: unknown keys,
// a key given twice, two members of one oneof, a value of the wrong shape or
// type, more than one YAML document, and YAML syntax (with line and column).
// Every message starts with the field's path ("accounts[1].appid: ...") and
// echoes a scalar only when it was given for a scalar field; a value given where
// a mapping belongs (e.g. a secret pasted inline) is never echoed. Inside the
// messages named in YamlMappingOptions::redacted_messages, neither unknown keys
// nor invalid values are echoed either.
//
// The message is filled in place and is left partly filled after an error.
// Nothing is thrown: yaml-cpp's exceptions are caught and returned as statuses.
#ifndef WXGATE_SERVICE_CONFIG_YAML_TO_PROTO_H_
#define WXGATE_SERVICE_CONFIG_YAML_TO_PROTO_H_

#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "google/protobuf/message.h"

namespace wxgate::config {

struct YamlMappingOptions {
  // Full names of messages ("wxgate.config.v1.Secret") whose contents may be
  // secret: errors inside them (and inside messages under them) name the path
  // but show no key or value that was not in the schema.
  absl::flat_hash_set<std::string> redacted_messages;
};

// Parses `yaml` (one YAML document; empty means no fields) into `message`, which
// must not be null. Fields the document does not name are left as they are.
absl::Status YamlToMessage(std::string_view yaml, google::protobuf::Message* message,
                           const YamlMappingOptions& options = {});

}  // namespace wxgate::config

#endif  // WXGATE_SERVICE_CONFIG_YAML_TO_PROTO_H_
