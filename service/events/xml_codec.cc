#include "service/events/xml_codec.h"

#include <google/protobuf/reflection.h>

#include <charconv>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "wxgate/annotations.pb.h"

namespace wxgate {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::FieldDescriptor;
using google::protobuf::Message;
using google::protobuf::Reflection;

// The field whose element name, or one of its (wxgate.xml_alias), is `element`.
const FieldDescriptor* FieldForElement(const Descriptor& descriptor, absl::string_view element) {
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const FieldDescriptor* field = descriptor.field(i);
    if (XmlElementName(*field) == element) return field;
    const google::protobuf::FieldOptions& options = field->options();
    for (int j = 0; j < options.ExtensionSize(wxgate::xml_alias); ++j) {
      if (options.GetExtension(wxgate::xml_alias, j) == element) return field;
    }
  }
  return nullptr;
}

bool ParseBool(absl::string_view text, bool& value) {
  if (text == "1" || absl::EqualsIgnoreCase(text, "true")) return value = true, true;
  if (text == "0" || absl::EqualsIgnoreCase(text, "false")) return value = false, true;
  return false;
}

// Sets or adds the scalar `text` to `field`; false when it does not parse.
bool ReadScalar(const FieldDescriptor& field, absl::string_view text, Message& message) {
  const Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_STRING) {
    repeated ? reflection.AddString(&message, &field, std::string(text))
             : reflection.SetString(&message, &field, std::string(text));
    return true;
  }
  text = absl::StripAsciiWhitespace(text);
// One case per numeric type: parse, then set or add.
#define WXGATE_READ_NUMBER(CPPTYPE, TYPE, PARSE, NAME)        \
  case FieldDescriptor::CPPTYPE: {                            \
    TYPE value{};                                             \
    if (!PARSE(text, &value)) return false;                   \
    repeated ? reflection.Add##NAME(&message, &field, value)  \
             : reflection.Set##NAME(&message, &field, value); \
    return true;                                              \
  }
  switch (field.cpp_type()) {
    WXGATE_READ_NUMBER(CPPTYPE_INT32, int32_t, absl::SimpleAtoi, Int32)
    WXGATE_READ_NUMBER(CPPTYPE_INT64, int64_t, absl::SimpleAtoi, Int64)
    WXGATE_READ_NUMBER(CPPTYPE_UINT32, uint32_t, absl::SimpleAtoi, UInt32)
    WXGATE_READ_NUMBER(CPPTYPE_UINT64, uint64_t, absl::SimpleAtoi, UInt64)
    WXGATE_READ_NUMBER(CPPTYPE_DOUBLE, double, absl::SimpleAtod, Double)
    WXGATE_READ_NUMBER(CPPTYPE_FLOAT, float, absl::SimpleAtof, Float)
    WXGATE_READ_NUMBER(CPPTYPE_ENUM, int32_t, absl::SimpleAtoi, EnumValue)
    case FieldDescriptor::CPPTYPE_BOOL: {
      bool value = false;
      if (!ParseBool(text, value)) return false;
      repeated ? reflection.AddBool(&message, &field, value)
               : reflection.SetBool(&message, &field, value);
      return true;
    }
    default:
      return false;
  }
#undef WXGATE_READ_NUMBER
}

void ReadFields(const pugi::xml_node& parent, Message& message, const std::string& path,
                std::vector<std::string>& unplaced);

// Reads one value (a whole message or a scalar) of `field` from `element`.
void ReadValue(const FieldDescriptor& field, const pugi::xml_node& element, Message& message,
               const std::string& path, std::vector<std::string>& unplaced) {
  const Reflection& reflection = *message.GetReflection();
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    Message* child = field.is_repeated() ? reflection.AddMessage(&message, &field)
                                         : reflection.MutableMessage(&message, &field);
    ReadFields(element, *child, path, unplaced);
    return;
  }
  const std::string text = XmlText(element);
  if (!ReadScalar(field, text, message)) unplaced.push_back(absl::StrCat(path, "=", text));
}

void ReadFields(const pugi::xml_node& parent, Message& message, const std::string& path,
                std::vector<std::string>& unplaced) {
  for (const pugi::xml_node& element : parent.children()) {
    if (element.type() != pugi::node_element) continue;
    const std::string element_path =
        path.empty() ? element.name() : absl::StrCat(path, ".", element.name());
    const FieldDescriptor* field = FieldForElement(*message.GetDescriptor(), element.name());
    if (field == nullptr || field->is_map()) {
      unplaced.push_back(element_path);
      continue;
    }
    const std::string& item_name = field->options().GetExtension(wxgate::xml_item);
    if (!field->is_repeated() || item_name.empty()) {
      ReadValue(*field, element, message, element_path, unplaced);
      continue;
    }
    for (const pugi::xml_node& item : element.children()) {
      if (item.type() != pugi::node_element) continue;
      const std::string item_path = absl::StrCat(element_path, ".", item.name());
      if (item_name == item.name()) {
        ReadValue(*field, item, message, item_path, unplaced);
      } else {
        unplaced.push_back(item_path);
      }
    }
  }
}

std::string ShortestDouble(double value) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof(buffer), value);
  return std::string(buffer, result.ptr);
}

// The text of one scalar value of `field` (index ignored unless repeated).
std::string ScalarText(const Message& message, const FieldDescriptor& field, int index) {
  const Reflection& reflection = *message.GetReflection();
  const bool repeated = field.is_repeated();
  switch (field.cpp_type()) {
    case FieldDescriptor::CPPTYPE_STRING:
      return repeated ? reflection.GetRepeatedString(message, &field, index)
                      : reflection.GetString(message, &field);
    case FieldDescriptor::CPPTYPE_INT32:
      return absl::StrCat(repeated ? reflection.GetRepeatedInt32(message, &field, index)
                                   : reflection.GetInt32(message, &field));
    case FieldDescriptor::CPPTYPE_INT64:
      return absl::StrCat(repeated ? reflection.GetRepeatedInt64(message, &field, index)
                                   : reflection.GetInt64(message, &field));
    case FieldDescriptor::CPPTYPE_UINT32:
      return absl::StrCat(repeated ? reflection.GetRepeatedUInt32(message, &field, index)
                                   : reflection.GetUInt32(message, &field));
    case FieldDescriptor::CPPTYPE_UINT64:
      return absl::StrCat(repeated ? reflection.GetRepeatedUInt64(message, &field, index)
                                   : reflection.GetUInt64(message, &field));
    case FieldDescriptor::CPPTYPE_DOUBLE:
      return ShortestDouble(repeated ? reflection.GetRepeatedDouble(message, &field, index)
                                     : reflection.GetDouble(message, &field));
    case FieldDescriptor::CPPTYPE_FLOAT:
      return ShortestDouble(repeated ? reflection.GetRepeatedFloat(message, &field, index)
                                     : reflection.GetFloat(message, &field));
    case FieldDescriptor::CPPTYPE_BOOL:
      return (repeated ? reflection.GetRepeatedBool(message, &field, index)
                       : reflection.GetBool(message, &field))
                 ? "1"
                 : "0";
    case FieldDescriptor::CPPTYPE_ENUM:
      return absl::StrCat(repeated ? reflection.GetRepeatedEnumValue(message, &field, index)
                                   : reflection.GetEnumValue(message, &field));
    default:
      return "";
  }
}

void WriteValue(const Message& message, const FieldDescriptor& field, int index,
                pugi::xml_node element) {
  if (field.cpp_type() == FieldDescriptor::CPPTYPE_MESSAGE) {
    const Reflection& reflection = *message.GetReflection();
    WriteXmlFields(field.is_repeated() ? reflection.GetRepeatedMessage(message, &field, index)
                                       : reflection.GetMessage(message, &field),
                   element);
    return;
  }
  const std::string text = ScalarText(message, field, index);
  if (field.cpp_type() != FieldDescriptor::CPPTYPE_STRING) {
    element.append_child(pugi::node_pcdata).set_value(text.c_str());
    return;
  }
  // A CDATA section ends at "]]>": split there, "]]" closing one section and ">"
  // opening the next.
  size_t start = 0;
  for (size_t end = text.find("]]>"); end != std::string::npos; end = text.find("]]>", start)) {
    element.append_child(pugi::node_cdata).set_value(text.substr(start, end + 2 - start).c_str());
    start = end + 2;
  }
  element.append_child(pugi::node_cdata).set_value(text.substr(start).c_str());
}

}  // namespace

std::string XmlText(const pugi::xml_node& element) {
  std::string text;
  for (const pugi::xml_node& child : element.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata)
      text += child.value();
  }
  return text;
}

std::string XmlElementName(const FieldDescriptor& field) {
  const std::string& explicit_name = field.options().GetExtension(wxgate::xml_name);
  if (!explicit_name.empty()) return explicit_name;
  std::string name;
  bool upper = true;
  for (char c : field.name()) {
    if (c == '_') {
      upper = true;
    } else {
      name.push_back(upper ? absl::ascii_toupper(c) : c);
      upper = false;
    }
  }
  return name;
}

absl::Status ParseUntrustedXml(absl::string_view xml, pugi::xml_document& document) {
  // parse_doctype keeps a DOCTYPE in the tree, so it can be refused below.
  const pugi::xml_parse_result result = document.load_buffer(
      xml.data(), xml.size(), pugi::parse_default | pugi::parse_doctype, pugi::encoding_utf8);
  if (!result) {
    return absl::InvalidArgumentError(
        absl::StrCat("XML does not parse at byte ", result.offset, ": ", result.description()));
  }
  for (const pugi::xml_node& node : document.children()) {
    if (node.type() == pugi::node_doctype) {
      return absl::InvalidArgumentError("XML with a DOCTYPE is refused");
    }
  }
  if (document.document_element().empty()) {
    return absl::InvalidArgumentError("XML has no root element");
  }
  return absl::OkStatus();
}

std::vector<std::string> ReadXmlFields(const pugi::xml_node& parent, Message& message) {
  std::vector<std::string> unplaced;
  ReadFields(parent, message, "", unplaced);
  return unplaced;
}

void WriteXmlFields(const Message& message, pugi::xml_node& parent) {
  std::vector<const FieldDescriptor*> fields;
  message.GetReflection()->ListFields(message, &fields);
  for (const FieldDescriptor* field : fields) {
    if (field->is_map()) continue;
    const std::string name = XmlElementName(*field);
    if (!field->is_repeated()) {
      WriteValue(message, *field, 0, parent.append_child(name.c_str()));
      continue;
    }
    const std::string& item_name = field->options().GetExtension(wxgate::xml_item);
    pugi::xml_node wrapper = item_name.empty() ? parent : parent.append_child(name.c_str());
    const int count = message.GetReflection()->FieldSize(message, field);
    for (int i = 0; i < count; ++i) {
      WriteValue(message, *field, i,
                 wrapper.append_child(item_name.empty() ? name.c_str() : item_name.c_str()));
    }
  }
}

}  // namespace wxgate
