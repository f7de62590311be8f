// Test helper: an XML document as the sorted list of its leaf elements, each as
// "Path.To.Leaf=text", so two documents that carry the same values compare equal
// whatever their element order and formatting (decimals compare as numbers:
// "119.385040" and "119.38504" are the same value).
//
//   XmlLeaves("<xml><A>1</A><B><C><![CDATA[x]]></C></B></xml>") == {"A=1", "B.C=x"}
#ifndef WXGATE_TESTS_TESTING_XML_LEAVES_H_
#define WXGATE_TESTS_TESTING_XML_LEAVES_H_

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <pugixml.hpp>
#include <string>
#include <vector>

namespace wxgate::testing {

inline std::string NormalizedText(const std::string& text) {
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.find('.') == std::string::npos || end != text.c_str() + text.size()) return text;
  char buffer[32];
  return std::string(buffer, std::to_chars(buffer, buffer + sizeof(buffer), value).ptr);
}

inline void CollectXmlLeaves(const pugi::xml_node& node, const std::string& prefix,
                             std::vector<std::string>& leaves) {
  bool has_child_element = false;
  for (const pugi::xml_node& child : node.children()) {
    if (child.type() != pugi::node_element) continue;
    has_child_element = true;
    CollectXmlLeaves(child, prefix.empty() ? child.name() : prefix + "." + child.name(), leaves);
  }
  if (has_child_element) return;
  std::string text;
  for (const pugi::xml_node& child : node.children()) text += child.value();
  leaves.push_back(prefix + "=" + NormalizedText(text));
}

// Leaves below the root element; {"<unparsable>"} when the XML does not parse.
inline std::vector<std::string> XmlLeaves(const std::string& xml) {
  pugi::xml_document document;
  if (!document.load_string(xml.c_str())) return {"<unparsable>"};
  std::vector<std::string> leaves;
  for (const pugi::xml_node& child : document.document_element().children()) {
    if (child.type() == pugi::node_element) CollectXmlLeaves(child, child.name(), leaves);
  }
  std::sort(leaves.begin(), leaves.end());
  return leaves;
}

}  // namespace wxgate::testing

#endif  // WXGATE_TESTS_TESTING_XML_LEAVES_H_
