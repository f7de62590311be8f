#include "service/transcode/wechat_json.h"

#include <google/protobuf/descriptor.h>

#include <cmath>
#include <limits>
#include <optional>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {
namespace {

// `value` as an Int when it is exactly one: an integer in range, a number with no
// fraction in range, or a decimal string in range. Nothing is cast before it is
// known to fit: every Int's range is [-2^digits, 2^digits) or [0, 2^digits), bounds
// a double holds exactly (double(INT64_MAX) is 2^63, which does not fit).
template <typename Int>
std::optional<Int> ExactInteger(const nlohmann::json& value) {
  using Limits = std::numeric_limits<Int>;
  if (value.is_number_unsigned()) {
    const uint64_t u = value.get<uint64_t>();
    if (u > static_cast<uint64_t>(Limits::max())) return std::nullopt;
    return static_cast<Int>(u);
  }
  if (value.is_number_integer()) {
    const int64_t i = value.get<int64_t>();
    if (i < 0 ? (!Limits::is_signed || i < static_cast<int64_t>(Limits::min()))
              : static_cast<uint64_t>(i) > static_cast<uint64_t>(Limits::max())) {
      return std::nullopt;
    }
    return static_cast<Int>(i);
  }
  if (value.is_number_float()) {
    const double d = value.get<double>();
    const double upper = std::ldexp(1.0, Limits::digits);
    const double lower = Limits::is_signed ? -upper : 0.0;
    // False for NaN and the infinities too.
    if (!(d >= lower && d < upper && std::trunc(d) == d)) return std::nullopt;
    return static_cast<Int>(d);
  }
  Int parsed{};
  if (value.is_string() && absl::SimpleAtoi(value.get<std::string>(), &parsed)) return parsed;
  return std::nullopt;
}

using google::protobuf::EnumValueDescriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;
using nlohmann::json;

nlohmann::json EnumToJson(const EnumValueDescriptor* value, int number) {
  if (value == nullptr) return number;  // an open enum's unknown number
  const std::string& wire = value->options().GetExtension(wxgate::wire_name);
  return wire.empty() ? json(number) : json(wire);
}

json ValueToJson(const Message& message, const FieldDescriptor& field, int index) {
  const Reflection& r = *message.GetReflection();
  const bool rep = index >= 0;
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_INT32:
      return rep ? r.GetRepeatedInt32(message, &field, index) : r.GetInt32(message, &field);
    case FieldDescriptor::CPPTYPE_INT64:
      return rep ? r.GetRepeatedInt64(message, &field, index) : r.GetInt64(message, &field);
    case FieldDescriptor::CPPTYPE_UINT32:
      return rep ? r.GetRepeatedUInt32(message, &field, index) : r.GetUInt32(message, &field);
    case FieldDescriptor::CPPTYPE_UINT64:
      return rep ? r.GetRepeatedUInt64(message, &field, index) : r.GetUInt64(message, &field);
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return rep ? r.GetRepeatedDouble(message, &field, index) : r.GetDouble(message, &field);
    case FieldDescriptor::CPPTYPE_FLOAT:
      return rep ? r.GetRepeatedFloat(message, &field, index) : r.GetFloat(message, &field);
    case FieldDescriptor::CPPTYPE_BOOL:
      return rep ? r.GetRepeatedBool(message, &field, index) : r.GetBool(message, &field);
    case FieldDescriptor::CPPTYPE_ENUM: {
      int number =
          rep ? r.GetRepeatedEnumValue(message, &field, index) : r.GetEnumValue(message, &field);
      return EnumToJson(field.enum_type()->FindValueByNumber(number), number);
    }
    case FieldDescriptor::CPPTYPE_STRING: {
      std::string value =
          rep ? r.GetRepeatedString(message, &field, index) : r.GetString(message, &field);
      if (field.type() == FieldDescriptor::TYPE_BYTES) return absl::Base64Escape(value);
      return value;
    }
    case FieldDescriptor::CPPTYPE_MESSAGE:
      return MessageToWeChatJson(rep ? r.GetRepeatedMessage(message, &field, index)
                                     : r.GetMessage(message, &field));
  }
  return nullptr;
}

std::string MapKeyToString(const Message& entry) {
  const FieldDescriptor* key = entry.GetDescriptor()->map_key();
  json value = ValueToJson(entry, *key, -1);
  return value.is_string() ? value.get<std::string>() : value.dump();
}

absl::Status MergeObject(const json& object, Message* message, const std::string& path);

// Whether messages of this type travel as the bare array of their one repeated
// field ((wxgate.json_array)).
bool IsJsonArray(const google::protobuf::Descriptor& type) {
  return type.options().GetExtension(wxgate::json_array) && type.field_count() == 1 &&
         type.field(0)->is_repeated() && !type.field(0)->is_map();
}

// Reads JSON into one field: sets singular fields, appends to repeated ones.
class FieldReader {
 public:
  FieldReader(Message* message, const FieldDescriptor& field, std::string path)
      : message_(message), field_(field), r_(*message->GetReflection()), path_(std::move(path)) {}

  absl::Status Read(const json& value) {
    if (value.is_null()) return absl::OkStatus();
    if (field_.is_map()) return ReadMap(value);
    if (!field_.is_repeated()) return ReadOne(value);
    if (!value.is_array()) return Mismatch("an array", value);
    for (size_t i = 0; i < value.size(); ++i) {
      FieldReader element(message_, field_, absl::StrCat(path_, "[", i, "]"));
      if (absl::Status s = element.ReadOne(value[i]); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

 private:
  absl::Status ReadMap(const json& value) {
    if (!value.is_object()) return Mismatch("an object", value);
    const FieldDescriptor* key_field = field_.message_type()->map_key();
    const FieldDescriptor* value_field = field_.message_type()->map_value();
    for (const auto& [key, item] : value.items()) {
      Message* entry = r_.AddMessage(message_, &field_);
      std::string entry_path = absl::StrCat(path_, "[\"", key, "\"]");
      FieldReader key_reader(entry, *key_field, entry_path);
      FieldReader value_reader(entry, *value_field, entry_path);
      if (absl::Status s = key_reader.ReadOne(json(key)); !s.ok()) return s;
      if (absl::Status s = value_reader.ReadOne(item); !s.ok()) return s;
    }
    return absl::OkStatus();
  }

  absl::Status ReadOne(const json& value) {
    if (value.is_null()) return absl::OkStatus();
    switch (field_.cpp_type()) {
      case FieldDescriptor::CPPTYPE_INT32:
        return ReadInteger<int32_t>(value, &Reflection::SetInt32, &Reflection::AddInt32);
      case FieldDescriptor::CPPTYPE_INT64:
        return ReadInteger<int64_t>(value, &Reflection::SetInt64, &Reflection::AddInt64);
      case FieldDescriptor::CPPTYPE_UINT32:
        return ReadInteger<uint32_t>(value, &Reflection::SetUInt32, &Reflection::AddUInt32);
      case FieldDescriptor::CPPTYPE_UINT64:
        return ReadInteger<uint64_t>(value, &Reflection::SetUInt64, &Reflection::AddUInt64);
      case FieldDescriptor::CPPTYPE_DOUBLE:
      case FieldDescriptor::CPPTYPE_FLOAT:
        return ReadFloating(value);
      case FieldDescriptor::CPPTYPE_BOOL:
        return ReadBool(value);
      case FieldDescriptor::CPPTYPE_ENUM:
        return ReadEnum(value);
      case FieldDescriptor::CPPTYPE_STRING:
        return ReadString(value);
      case FieldDescriptor::CPPTYPE_MESSAGE: {
        const bool is_array = IsJsonArray(*field_.message_type());
        if (is_array ? !value.is_array() : !value.is_object()) {
          return Mismatch(is_array ? "an array" : "an object", value);
        }
        Message* child = field_.is_repeated() ? r_.AddMessage(message_, &field_)
                                              : r_.MutableMessage(message_, &field_);
        if (is_array)
          return FieldReader(child, *child->GetDescriptor()->field(0), path_).Read(value);
        return MergeObject(value, child, path_);
      }
    }
    return absl::OkStatus();
  }

  template <typename Int, typename Setter, typename Adder>
  absl::Status ReadInteger(const json& value, Setter set, Adder add) {
    std::optional<Int> parsed = ExactInteger<Int>(value);
    if (!parsed) return Mismatch("an integer in range", value);
    if (field_.is_repeated()) {
      (r_.*add)(message_, &field_, *parsed);
    } else {
      (r_.*set)(message_, &field_, *parsed);
    }
    return absl::OkStatus();
  }

  absl::Status ReadFloating(const json& value) {
    double parsed = 0;
    if (value.is_number()) {
      parsed = value.get<double>();
    } else if (!value.is_string() || !absl::SimpleAtod(value.get<std::string>(), &parsed)) {
      return Mismatch("a number", value);
    }
    const bool is_float = field_.cpp_type() == FieldDescriptor::CPPTYPE_FLOAT;
    if (field_.is_repeated()) {
      is_float ? r_.AddFloat(message_, &field_, static_cast<float>(parsed))
               : r_.AddDouble(message_, &field_, parsed);
    } else {
      is_float ? r_.SetFloat(message_, &field_, static_cast<float>(parsed))
               : r_.SetDouble(message_, &field_, parsed);
    }
    return absl::OkStatus();
  }

  absl::Status ReadBool(const json& value) {
    bool parsed;
    if (value.is_boolean()) {
      parsed = value.get<bool>();
    } else if (value.is_number_integer() && (value == 0 || value == 1)) {
      parsed = value.get<int>() == 1;
    } else if (value == "true" || value == "false") {
      parsed = value == "true";
    } else {
      return Mismatch("true or false", value);
    }
    field_.is_repeated() ? r_.AddBool(message_, &field_, parsed)
                         : r_.SetBool(message_, &field_, parsed);
    return absl::OkStatus();
  }

  absl::Status ReadEnum(const json& value) {
    int number = 0;
    if (value.is_number_integer()) {
      std::optional<int32_t> exact = ExactInteger<int32_t>(value);
      if (!exact) return Mismatch(absl::StrCat("a ", field_.enum_type()->name()), value);
      number = *exact;
    } else if (value.is_string()) {
      const std::string text = value.get<std::string>();
      const EnumValueDescriptor* found = field_.enum_type()->FindValueByName(text);
      for (int i = 0; found == nullptr && i < field_.enum_type()->value_count(); ++i) {
        const EnumValueDescriptor* candidate = field_.enum_type()->value(i);
        if (candidate->options().GetExtension(wxgate::wire_name) == text) found = candidate;
      }
      // A value WeChat added after the model was written reads as 0 (unspecified)
      // rather than failing the whole answer.
      number = found == nullptr ? 0 : found->number();
    } else {
      return Mismatch(absl::StrCat("a ", field_.enum_type()->name()), value);
    }
    field_.is_repeated() ? r_.AddEnumValue(message_, &field_, number)
                         : r_.SetEnumValue(message_, &field_, number);
    return absl::OkStatus();
  }

  absl::Status ReadString(const json& value) {
    std::string parsed;
    if (value.is_string()) {
      parsed = value.get<std::string>();
      if (field_.type() == FieldDescriptor::TYPE_BYTES &&
          !absl::Base64Unescape(value.get<std::string>(), &parsed)) {
        return Mismatch("base64", value);
      }
    } else if (value.is_number()) {
      parsed = value.dump();  // WeChat sends some ids as numbers, some as strings
    } else {
      return Mismatch("a string", value);
    }
    field_.is_repeated() ? r_.AddString(message_, &field_, std::move(parsed))
                         : r_.SetString(message_, &field_, std::move(parsed));
    return absl::OkStatus();
  }

  absl::Status Mismatch(absl::string_view expected, const json& value) const {
    return absl::InvalidArgumentError(
        absl::StrCat(path_, ": expected ", expected, ", got ", value.type_name()));
  }

  Message* message_;
  const FieldDescriptor& field_;
  const Reflection& r_;
  std::string path_;
};

absl::Status MergeObject(const json& object, Message* message, const std::string& path) {
  const auto* descriptor = message->GetDescriptor();
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const FieldDescriptor& field = *descriptor->field(i);
    auto it = object.find(WeChatKey(field));
    if (it == object.end()) continue;
    std::string child_path =
        path.empty() ? WeChatKey(field) : absl::StrCat(path, ".", WeChatKey(field));
    FieldReader reader(message, field, std::move(child_path));
    if (absl::Status s = reader.Read(*it); !s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace

std::string WeChatKey(const FieldDescriptor& field) {
  return field.has_json_name() ? field.json_name() : field.name();
}

json FieldToWeChatJson(const Message& message, const FieldDescriptor& field) {
  if (field.is_map()) {
    json object = json::object();
    const Reflection& r = *message.GetReflection();
    for (int i = 0; i < r.FieldSize(message, &field); ++i) {
      const Message& entry = r.GetRepeatedMessage(message, &field, i);
      object[MapKeyToString(entry)] = ValueToJson(entry, *field.message_type()->map_value(), -1);
    }
    return object;
  }
  if (!field.is_repeated()) return ValueToJson(message, field, -1);
  json array = json::array();
  for (int i = 0; i < message.GetReflection()->FieldSize(message, &field); ++i) {
    array.push_back(ValueToJson(message, field, i));
  }
  return array;
}

json MessageToWeChatJson(const Message& message) {
  if (IsJsonArray(*message.GetDescriptor())) {
    return FieldToWeChatJson(message, *message.GetDescriptor()->field(0));
  }
  json object = json::object();
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    object[WeChatKey(*field)] = FieldToWeChatJson(message, *field);
  }
  return object;
}

absl::Status MergeWeChatJson(const json& json, Message* message) {
  if (!json.is_object()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected a JSON object, got ", json.type_name()));
  }
  return MergeObject(json, message, "");
}

}  // namespace wxgate
