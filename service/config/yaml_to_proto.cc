#include "service/config/yaml_to_proto.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <exception>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "google/protobuf/descriptor.h"

namespace wxgate::config {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::EnumDescriptor;
using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::OneofDescriptor;
using google::protobuf::Reflection;

// google.protobuf.Duration allows at most 10,000 years.
constexpr int64_t kMaxDurationSeconds = 315'576'000'000;

std::string Child(const std::string& path, absl::string_view key) {
  return path.empty() ? std::string(key) : absl::StrCat(path, ".", key);
}

std::string Where(const std::string& path) { return path.empty() ? "top level" : path; }

absl::string_view ShapeOf(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a mapping";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "a single value";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "nothing";
}

absl::Status Error(const std::string& path, absl::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat(Where(path), ": ", what));
}

std::string KnownKeys(const Descriptor* descriptor) {
  std::vector<absl::string_view> names;
  names.reserve(descriptor->field_count());
  for (int i = 0; i < descriptor->field_count(); ++i) names.push_back(descriptor->field(i)->name());
  return absl::StrCat("(known keys: ", absl::StrJoin(names, ", "), ")");
}

// "TokenApi" -> "TOKEN_API_": the prefix buf lint requires on enum value names.
std::string EnumValuePrefix(const EnumDescriptor* descriptor) {
  const std::string& name = descriptor->name();
  std::string prefix;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    if (i > 0 && absl::ascii_isupper(c)) {
      char before = name[i - 1];
      bool next_is_lower = i + 1 < name.size() && absl::ascii_islower(name[i + 1]);
      if (absl::ascii_islower(before) || absl::ascii_isdigit(before) ||
          (absl::ascii_isupper(before) && next_is_lower)) {
        prefix.push_back('_');
      }
    }
    prefix.push_back(absl::ascii_toupper(c));
  }
  prefix.push_back('_');
  return prefix;
}

absl::string_view ShortName(const EnumValueDescriptor* value, absl::string_view prefix) {
  absl::string_view name = value->name();
  if (name.size() > prefix.size() && name.substr(0, prefix.size()) == prefix) {
    name.remove_prefix(prefix.size());
  }
  return name;
}

// How a scalar field's value must be written, for error messages.
std::string Expected(const FieldDescriptor* field) {
  switch (field->cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat("a whole number from ", std::numeric_limits<int32_t>::min(), " to ",
                          std::numeric_limits<int32_t>::max());
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat("a whole number from ", std::numeric_limits<int64_t>::min(), " to ",
                          std::numeric_limits<int64_t>::max());
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat("a whole number from 0 to ", std::numeric_limits<uint32_t>::max());
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat("a whole number from 0 to ", std::numeric_limits<uint64_t>::max());
    case FieldDescriptor::CPPTYPE_DOUBLE:
    case FieldDescriptor::CPPTYPE_FLOAT:
      return "a number";
    case FieldDescriptor::CPPTYPE_BOOL:
      return "true or false";
    case FieldDescriptor::CPPTYPE_ENUM: {
      const EnumDescriptor* type = field->enum_type();
      std::string prefix = EnumValuePrefix(type);
      std::vector<std::string> names;
      for (int i = 0; i < type->value_count(); ++i) {
        names.push_back(absl::AsciiStrToLower(ShortName(type->value(i), prefix)));
      }
      return absl::StrCat("one of: ", absl::StrJoin(names, ", "));
    }
    case FieldDescriptor::CPPTYPE_STRING:
      return "a string";
    case FieldDescriptor::CPPTYPE_MESSAGE:
      break;
  }
  return "a value";
}

const EnumValueDescriptor* FindEnumValue(const EnumDescriptor* type, absl::string_view text) {
  std::string upper = absl::AsciiStrToUpper(text);
  std::string prefix = EnumValuePrefix(type);
  for (int i = 0; i < type->value_count(); ++i) {
    const EnumValueDescriptor* value = type->value(i);
    if (value->name() == upper || ShortName(value, prefix) == upper) return value;
  }
  return nullptr;
}

// Walks a YAML tree and a message together.
class YamlMapper {
 public:
  explicit YamlMapper(const YamlMappingOptions& options) : options_(options) {}
  YamlMapper(const YamlMapper&) = delete;
  YamlMapper& operator=(const YamlMapper&) = delete;

  absl::Status FillMessage(const YAML::Node& node, const std::string& path, Message* message) {
    const Descriptor* descriptor = message->GetDescriptor();
    // Redaction covers the message and everything under it.
    const bool outer_redacting = redacting_;
    redacting_ = redacting_ || options_.redacted_messages.contains(descriptor->full_name());
    absl::Status status = FillMessageContents(node, path, message);
    redacting_ = outer_redacting;
    return status;
  }

 private:
  // A scalar as error messages show it: quoted, or not at all when redacting.
  std::string Shown(const std::string& text) const {
    return redacting_ ? "the value (not shown, as it may be a secret)"
                      : absl::StrCat("\"", text, "\"");
  }

  absl::Status FillMessageContents(const YAML::Node& node, const std::string& path,
                                   Message* message) {
    const Descriptor* descriptor = message->GetDescriptor();
    if (descriptor->full_name() == "google.protobuf.Duration") {
      return FillDuration(node, path, message);
    }
    if (!node.IsMap()) {
      // The value is not echoed: a secret pasted where a mapping belongs must not
      // end up in a log.
      return Error(path, absl::StrCat("expected a mapping ", KnownKeys(descriptor), ", got ",
                                      ShapeOf(node)));
    }
    const Reflection* reflection = message->GetReflection();
    absl::flat_hash_set<std::string> seen;
    for (const auto& entry : node) {
      if (!entry.first.IsScalar()) {
        return Error(path, absl::StrCat("a key must be a name, got ", ShapeOf(entry.first), " ",
                                        KnownKeys(descriptor)));
      }
      const std::string& key = entry.first.Scalar();
      std::string field_path = Child(path, key);
      const FieldDescriptor* field = descriptor->FindFieldByName(key);
      if (field == nullptr && redacting_) {
        return Error(path, absl::StrCat("unknown key (not shown, as it may be a secret) ",
                                        KnownKeys(descriptor)));
      }
      if (field == nullptr) {
        return Error(field_path, absl::StrCat("unknown key ", KnownKeys(descriptor)));
      }
      if (!seen.insert(key).second) return Error(field_path, "given twice; keep one");
      if (entry.second.IsNull()) continue;
      if (const OneofDescriptor* oneof = field->real_containing_oneof(); oneof != nullptr) {
        if (const FieldDescriptor* other = reflection->GetOneofFieldDescriptor(*message, oneof);
            other != nullptr && other != field) {
          std::vector<absl::string_view> members;
          for (int i = 0; i < oneof->field_count(); ++i) members.push_back(oneof->field(i)->name());
          return Error(path,
                       absl::StrCat("both ", other->name(), " and ", field->name(),
                                    " are set; set only one of ", absl::StrJoin(members, ", ")));
        }
      }
      if (absl::Status status = FillField(entry.second, field_path, field, message); !status.ok()) {
        return status;
      }
    }
    return absl::OkStatus();
  }

  absl::Status FillField(const YAML::Node& node, const std::string& path,
                         const FieldDescriptor* field, Message* message) {
    const Reflection* reflection = message->GetReflection();
    if (field->is_map()) return FillMap(node, path, field, message);
    if (field->is_repeated()) {
      if (!node.IsSequence()) {
        return Error(path, absl::StrCat("expected a list, got ", ShapeOf(node)));
      }
      for (size_t i = 0; i < node.size(); ++i) {
        const YAML::Node element = node[i];
        std::string element_path = absl::StrCat(path, "[", i, "]");
        if (element.IsNull()) return Error(element_path, "empty entry; fill it in or remove it");
        absl::Status status =
            field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
                ? FillMessage(element, element_path, reflection->AddMessage(message, field))
                : StoreScalar(element, element_path, field, message);
        if (!status.ok()) return status;
      }
      return absl::OkStatus();
    }
    if (field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
      return FillMessage(node, path, reflection->MutableMessage(message, field));
    }
    return StoreScalar(node, path, field, message);
  }

  absl::Status FillMap(const YAML::Node& node, const std::string& path,
                       const FieldDescriptor* field, Message* message) {
    if (!node.IsMap()) return Error(path, absl::StrCat("expected a mapping, got ", ShapeOf(node)));
    const Descriptor* entry_type = field->message_type();
    const FieldDescriptor* key_field = entry_type->map_key();
    const FieldDescriptor* value_field = entry_type->map_value();
    const Reflection* reflection = message->GetReflection();
    absl::flat_hash_set<std::string> seen;
    for (const auto& pair : node) {
      if (!pair.first.IsScalar()) {
        return Error(path, absl::StrCat("a key must be a single value, got ", ShapeOf(pair.first)));
      }
      std::string entry_path = Child(path, redacting_ ? "<key not shown>" : pair.first.Scalar());
      if (!seen.insert(pair.first.Scalar()).second) {
        return Error(entry_path, "given twice; keep one");
      }
      Message* entry = reflection->AddMessage(message, field);
      if (absl::Status status = StoreScalar(pair.first, entry_path, key_field, entry);
          !status.ok()) {
        return status;
      }
      if (pair.second.IsNull()) continue;
      absl::Status status =
          value_field->cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE
              ? FillMessage(pair.second, entry_path,
                            entry->GetReflection()->MutableMessage(entry, value_field))
              : StoreScalar(pair.second, entry_path, value_field, entry);
      if (!status.ok()) return status;
    }
    return absl::OkStatus();
  }

  absl::Status FillDuration(const YAML::Node& node, const std::string& path, Message* message) {
    constexpr absl::string_view kExamples = "such as \"500ms\", \"5s\" or \"1m\"";
    if (!node.IsScalar()) {
      return Error(path, absl::StrCat("expected a duration ", kExamples, ", got ", ShapeOf(node)));
    }
    const std::string& text = node.Scalar();
    absl::Duration duration;
    if (!absl::ParseDuration(text, &duration)) {
      return Error(
          path,
          absl::StrCat(Shown(text), " is not a duration; write a number and a unit, ", kExamples));
    }
    if (duration < absl::ZeroDuration()) {
      return Error(path, absl::StrCat(Shown(text), " is negative; give a duration of 0 or more ",
                                      kExamples));
    }
    if (duration >= absl::Seconds(kMaxDurationSeconds)) {
      return Error(path,
                   absl::StrCat(Shown(text), " is too long; give a finite duration ", kExamples));
    }
    absl::Duration remainder;
    int64_t seconds = absl::IDivDuration(duration, absl::Seconds(1), &remainder);
    int64_t nanos = absl::IDivDuration(remainder, absl::Nanoseconds(1), &remainder);
    const Descriptor* descriptor = message->GetDescriptor();
    const Reflection* reflection = message->GetReflection();
    reflection->SetInt64(message, descriptor->FindFieldByName("seconds"), seconds);
    reflection->SetInt32(message, descriptor->FindFieldByName("nanos"),
                         static_cast<int32_t>(nanos));
    return absl::OkStatus();
  }

  // Sets a singular scalar field, or appends to a repeated one.
  absl::Status StoreScalar(const YAML::Node& node, const std::string& path,
                           const FieldDescriptor* field, Message* message) {
    if (!node.IsScalar()) {
      return Error(path, absl::StrCat("expected ", Expected(field), ", got ", ShapeOf(node)));
    }
    const std::string& text = node.Scalar();
    const Reflection* reflection = message->GetReflection();
    const bool repeated = field->is_repeated();
    auto invalid = [&] {
      return Error(path, absl::StrCat(Shown(text), " is not ", Expected(field)));
    };
    switch (field->cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32: {
        int64_t value;
        if (!absl::SimpleAtoi(text, &value) || value < std::numeric_limits<int32_t>::min() ||
            value > std::numeric_limits<int32_t>::max()) {
          return invalid();
        }
        repeated ? reflection->AddInt32(message, field, static_cast<int32_t>(value))
                 : reflection->SetInt32(message, field, static_cast<int32_t>(value));
        break;
      }
      case FieldDescriptor::CPPTYPE_INT64: {
        int64_t value;
        if (!absl::SimpleAtoi(text, &value)) return invalid();
        repeated ? reflection->AddInt64(message, field, value)
                 : reflection->SetInt64(message, field, value);
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT32: {
        uint64_t value;
        if (!absl::SimpleAtoi(text, &value) || value > std::numeric_limits<uint32_t>::max()) {
          return invalid();
        }
        repeated ? reflection->AddUInt32(message, field, static_cast<uint32_t>(value))
                 : reflection->SetUInt32(message, field, static_cast<uint32_t>(value));
        break;
      }
      case FieldDescriptor::CPPTYPE_UINT64: {
        uint64_t value;
        if (!absl::SimpleAtoi(text, &value)) return invalid();
        repeated ? reflection->AddUInt64(message, field, value)
                 : reflection->SetUInt64(message, field, value);
        break;
      }
      case FieldDescriptor::CPPTYPE_DOUBLE: {
        double value;
        if (!absl::SimpleAtod(text, &value)) return invalid();
        repeated ? reflection->AddDouble(message, field, value)
                 : reflection->SetDouble(message, field, value);
        break;
      }
      case FieldDescriptor::CPPTYPE_FLOAT: {
        float value;
        if (!absl::SimpleAtof(text, &value)) return invalid();
        repeated ? reflection->AddFloat(message, field, value)
                 : reflection->SetFloat(message, field, value);
        break;
      }
      case FieldDescriptor::CPPTYPE_BOOL: {
        bool value;
        if (absl::EqualsIgnoreCase(text, "true")) {
          value = true;
        } else if (absl::EqualsIgnoreCase(text, "false")) {
          value = false;
        } else {
          return invalid();
        }
        repeated ? reflection->AddBool(message, field, value)
                 : reflection->SetBool(message, field, value);
        break;
      }
      case FieldDescriptor::CPPTYPE_ENUM: {
        const EnumValueDescriptor* value = FindEnumValue(field->enum_type(), text);
        if (value == nullptr) return invalid();
        repeated ? reflection->AddEnum(message, field, value)
                 : reflection->SetEnum(message, field, value);
        break;
      }
      case FieldDescriptor::CPPTYPE_STRING:
        repeated ? reflection->AddString(message, field, text)
                 : reflection->SetString(message, field, text);
        break;
      case FieldDescriptor::CPPTYPE_MESSAGE:
        return absl::InternalError(absl::StrCat(Where(path), ": a message is not a scalar"));
    }
    return absl::OkStatus();
  }

  const YamlMappingOptions& options_;
  bool redacting_ = false;
};

}  // namespace

namespace {

// Reads a YAML text's events once, before it is loaded, for what loading cannot
// survive:
//  - the first alias (*name): aliases are refused, as a few nested ones expand to
//    gigabytes when the document is walked (the "billion laughs");
//  - a token yaml-cpp 0.7 cannot place (a ',' outside [ ] or { }): it is never
//    consumed, so every next document starts at the same place, empty, forever
//    (jbeder/yaml-cpp#1040). A document starting where the last one did is that.
class DocumentScan : public YAML::EventHandler {
 public:
  void OnDocumentStart(const YAML::Mark& mark) override {
    if (last_start_ && last_start_->pos == mark.pos && !stuck) stuck = mark;
    last_start_ = mark;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    if (!alias) alias = mark;
  }
  void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                const std::string&) override {}
  void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {}
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {}
  void OnMapEnd() override {}

  std::optional<YAML::Mark> alias;
  std::optional<YAML::Mark> stuck;

 private:
  std::optional<YAML::Mark> last_start_;
};

std::string Where(const YAML::Mark& mark) {
  return absl::StrCat("line ", mark.line + 1, ", column ", mark.column + 1);
}

}  // namespace

absl::Status YamlToMessage(std::string_view yaml, google::protobuf::Message* message,
                           const YamlMappingOptions& options) {
  DocumentScan scan;
  try {
    std::istringstream stream{std::string(yaml)};
    YAML::Parser parser(stream);
    while (!scan.alias && !scan.stuck && parser.HandleNextDocument(scan)) {
    }
  } catch (const std::exception&) {
    // A syntax error: LoadAll below reports it with its position.
  }
  if (scan.alias) {
    return absl::InvalidArgumentError(absl::StrCat("YAML alias (*name) at ", Where(*scan.alias),
                                                   ": aliases are not supported; write the value "
                                                   "out"));
  }
  if (scan.stuck) {
    return absl::InvalidArgumentError(
        absl::StrCat("YAML syntax error at ", Where(*scan.stuck),
                     ": a character that cannot stand here (such as ',' outside [ ] or { })"));
  }
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(std::string(yaml));
  } catch (const YAML::Exception& e) {
    if (e.mark.is_null())
      return absl::InvalidArgumentError(absl::StrCat("YAML syntax error: ", e.msg));
    return absl::InvalidArgumentError(absl::StrCat("YAML syntax error at line ", e.mark.line + 1,
                                                   ", column ", e.mark.column + 1, ": ", e.msg));
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("YAML could not be read: ", e.what()));
  }
  if (documents.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the YAML holds ", documents.size(), " documents (separated by ---); write only one"));
  }
  if (documents.empty() || documents.front().IsNull()) return absl::OkStatus();
  try {
    return YamlMapper(options).FillMessage(documents.front(), "", message);
  } catch (const std::exception& e) {
    // yaml-cpp's node accessors throw only on misuse; report it rather than crash.
    return absl::InternalError(absl::StrCat("YAML could not be mapped: ", e.what()));
  }
}

}  // namespace wxgate::config
