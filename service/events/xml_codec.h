// Proto messages to and from WeChat's callback XML, by the annotations of
// wxgate/annotations.proto, with no per-message code:
//
//   message SendPicsInfo {                       <SendPicsInfo>
//     int32 count = 1;                    <->      <Count>2</Count>
//     repeated PicListItem pic_list = 2            <PicList>
//         [(wxgate.xml_item) = "item"];              <item><PicMd5Sum>..</PicMd5Sum></item>
//   }                                              </PicList>
//                                                </SendPicsInfo>
//
// A field's element is its name in UpperCamelCase unless `(wxgate.xml_name)` says
// otherwise; `(wxgate.xml_alias)` names more elements it is read from. Repeated
// fields are wrapped items (`xml_item`) or sibling elements.
#ifndef WXGATE_SERVICE_EVENTS_XML_CODEC_H_
#define WXGATE_SERVICE_EVENTS_XML_CODEC_H_

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <pugixml.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace wxgate {

// The element name of `field`: "msg_id" -> "MsgId", or its (wxgate.xml_name).
std::string XmlElementName(const google::protobuf::FieldDescriptor& field);

// All of an element's text, across CDATA sections ("]]>" inside a value is written
// as two sections).
std::string XmlText(const pugi::xml_node& element);

// Parses untrusted XML: no DOCTYPE (so no entity can be declared, let alone
// expanded), nothing fetched; a document element is required. INVALID_ARGUMENT
// otherwise, saying where the parser stopped.
absl::Status ParseUntrustedXml(absl::string_view xml, pugi::xml_document& document);

// Fills `message` from the children of `parent`. Returns the paths of what it could
// not place: elements with no field ("Foo.Bar") and values that do not parse as
// the field's type ("CreateTime=abc"). Unset fields stay at their defaults.
std::vector<std::string> ReadXmlFields(const pugi::xml_node& parent,
                                       google::protobuf::Message& message);

// Appends one element per set field of `message` to `parent`: strings as CDATA,
// numbers and booleans as text.
void WriteXmlFields(const google::protobuf::Message& message, pugi::xml_node& parent);

}  // namespace wxgate

#endif  // WXGATE_SERVICE_EVENTS_XML_CODEC_H_
