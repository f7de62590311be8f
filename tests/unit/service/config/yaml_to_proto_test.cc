#include "service/config/yaml_to_proto.h"

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "google/protobuf/duration.pb.h"
#include "google/protobuf/dynamic_message.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"

namespace wxgate::config {
namespace {

using ::google::protobuf::Descriptor;
using ::google::protobuf::DescriptorPool;
using ::google::protobuf::DynamicMessageFactory;
using ::google::protobuf::FileDescriptorProto;
using ::google::protobuf::Message;
using ::google::protobuf::TextFormat;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A schema with every kind of field the mapper handles, built at run time so
// that the generic mapping is tested beyond the configuration's own fields.
constexpr char kSampleProto[] = R"pb(
  name: "sample.proto"
  package: "sample"
  syntax: "proto3"
  dependency: "google/protobuf/duration.proto"
  message_type {
    name: "Sample"
    field { name: "flag" number: 1 label: LABEL_OPTIONAL type: TYPE_BOOL }
    field { name: "i32" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
    field { name: "i64" number: 3 label: LABEL_OPTIONAL type: TYPE_SINT64 }
    field { name: "u32" number: 4 label: LABEL_OPTIONAL type: TYPE_FIXED32 }
    field { name: "u64" number: 5 label: LABEL_OPTIONAL type: TYPE_UINT64 }
    field { name: "ratio" number: 6 label: LABEL_OPTIONAL type: TYPE_DOUBLE }
    field { name: "scale" number: 7 label: LABEL_OPTIONAL type: TYPE_FLOAT }
    field { name: "text" number: 8 label: LABEL_OPTIONAL type: TYPE_STRING }
    field { name: "blob" number: 9 label: LABEL_OPTIONAL type: TYPE_BYTES }
    field {
      name: "method"
      number: 10
      label: LABEL_OPTIONAL
      type: TYPE_ENUM
      type_name: ".sample.HTTPMethod"
    }
    field { name: "numbers" number: 11 label: LABEL_REPEATED type: TYPE_INT32 }
    field {
      name: "methods"
      number: 12
      label: LABEL_REPEATED
      type: TYPE_ENUM
      type_name: ".sample.HTTPMethod"
    }
    field {
      name: "labels"
      number: 13
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".sample.Sample.LabelsEntry"
    }
    field {
      name: "children"
      number: 14
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".sample.Sample"
    }
    field {
      name: "wait"
      number: 15
      label: LABEL_OPTIONAL
      type: TYPE_MESSAGE
      type_name: ".google.protobuf.Duration"
    }
    field { name: "left" number: 16 label: LABEL_OPTIONAL type: TYPE_STRING oneof_index: 0 }
    field { name: "right" number: 17 label: LABEL_OPTIONAL type: TYPE_INT32 oneof_index: 0 }
    field {
      name: "by_id"
      number: 18
      label: LABEL_REPEATED
      type: TYPE_MESSAGE
      type_name: ".sample.Sample.ByIdEntry"
    }
    nested_type {
      name: "LabelsEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_STRING }
      field { name: "value" number: 2 label: LABEL_OPTIONAL type: TYPE_INT32 }
      options { map_entry: true }
    }
    nested_type {
      name: "ByIdEntry"
      field { name: "key" number: 1 label: LABEL_OPTIONAL type: TYPE_UINT32 }
      field {
        name: "value"
        number: 2
        label: LABEL_OPTIONAL
        type: TYPE_MESSAGE
        type_name: ".sample.Sample"
      }
      options { map_entry: true }
    }
    oneof_decl { name: "side" }
  }
  enum_type {
    name: "HTTPMethod"
    value { name: "HTTP_METHOD_UNSPECIFIED" number: 0 }
    value { name: "HTTP_METHOD_GET" number: 1 }
    value { name: "HTTP_METHOD_POST" number: 2 }
  }
)pb";

class YamlToMessageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Makes duration.proto available in the generated pool, the underlay.
    (void)google::protobuf::Duration::descriptor();
    FileDescriptorProto file;
    ASSERT_TRUE(TextFormat::ParseFromString(kSampleProto, &file));
    ASSERT_NE(pool_.BuildFile(file), nullptr);
    descriptor_ = pool_.FindMessageTypeByName("sample.Sample");
    ASSERT_NE(descriptor_, nullptr);
  }

  std::unique_ptr<Message> NewSample() {
    return std::unique_ptr<Message>(factory_.GetPrototype(descriptor_)->New());
  }

  // Parses `yaml` into a new Sample and returns its text format, or the error.
  std::string Parse(std::string_view yaml) {
    std::unique_ptr<Message> message = NewSample();
    absl::Status status = YamlToMessage(yaml, message.get());
    if (!status.ok()) return absl::StrCat("ERROR ", status.message());
    std::string text;
    TextFormat::Printer printer;
    printer.SetSingleLineMode(true);
    printer.PrintToString(*message, &text);
    return text;
  }

  std::string ErrorOf(std::string_view yaml) {
    std::unique_ptr<Message> message = NewSample();
    absl::Status status = YamlToMessage(yaml, message.get());
    EXPECT_FALSE(status.ok()) << yaml;
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
    return std::string(status.message());
  }

  DescriptorPool pool_{DescriptorPool::generated_pool()};
  DynamicMessageFactory factory_{&pool_};
  const Descriptor* descriptor_ = nullptr;
};

TEST_F(YamlToMessageTest, EmptyDocumentsSetNothing) {
  EXPECT_EQ(Parse(""), "");
  EXPECT_EQ(Parse("# only a comment\n"), "");
  EXPECT_EQ(Parse("~"), "");
  EXPECT_EQ(Parse("---\n"), "");
}

TEST_F(YamlToMessageTest, Scalars) {
  EXPECT_EQ(Parse("flag: true\ni32: -2147483648\ni64: -9223372036854775808\nu32: 4294967295\n"
                  "u64: 18446744073709551615\nratio: 0.25\nscale: 1.5\ntext: hello world\n"
                  "blob: raw\n"),
            "flag: true i32: -2147483648 i64: -9223372036854775808 u32: 4294967295 "
            "u64: 18446744073709551615 ratio: 0.25 scale: 1.5 text: \"hello world\" "
            "blob: \"raw\" ");
}

TEST_F(YamlToMessageTest, StringsTakeAnyScalarVerbatim) {
  EXPECT_EQ(Parse("text: 0123\n"), "text: \"0123\" ");
  EXPECT_EQ(Parse("text: 'true'\n"), "text: \"true\" ");
  EXPECT_EQ(Parse("text: \"null\"\n"), "text: \"null\" ");
  EXPECT_EQ(Parse("text: ''\n"), "");
}

TEST_F(YamlToMessageTest, BoolIsTrueOrFalseOnly) {
  EXPECT_EQ(Parse("flag: FALSE\n"), "");
  EXPECT_EQ(Parse("flag: True\n"), "flag: true ");
  EXPECT_EQ(ErrorOf("flag: yes\n"), "flag: \"yes\" is not true or false");
  EXPECT_EQ(ErrorOf("flag: 1\n"), "flag: \"1\" is not true or false");
}

TEST_F(YamlToMessageTest, IntegersAreRangeChecked) {
  EXPECT_EQ(ErrorOf("i32: 2147483648\n"),
            "i32: \"2147483648\" is not a whole number from -2147483648 to 2147483647");
  EXPECT_EQ(ErrorOf("u32: -1\n"), "u32: \"-1\" is not a whole number from 0 to 4294967295");
  EXPECT_EQ(ErrorOf("u64: 18446744073709551616\n"),
            "u64: \"18446744073709551616\" is not a whole number from 0 to 18446744073709551615");
  EXPECT_THAT(ErrorOf("i64: 1.5\n"), StartsWith("i64: \"1.5\" is not a whole number"));
  EXPECT_THAT(ErrorOf("i32: ten\n"), StartsWith("i32: \"ten\" is not a whole number"));
  EXPECT_EQ(ErrorOf("ratio: half\n"), "ratio: \"half\" is not a number");
}

TEST_F(YamlToMessageTest, EnumsByFullOrShortName) {
  EXPECT_EQ(Parse("method: HTTP_METHOD_POST\n"), "method: HTTP_METHOD_POST ");
  EXPECT_EQ(Parse("method: post\n"), "method: HTTP_METHOD_POST ");
  EXPECT_EQ(Parse("method: Get\n"), "method: HTTP_METHOD_GET ");
  EXPECT_EQ(Parse("methods: [get, http_method_post]\n"),
            "methods: HTTP_METHOD_GET methods: HTTP_METHOD_POST ");
  EXPECT_EQ(ErrorOf("method: put\n"), "method: \"put\" is not one of: unspecified, get, post");
  EXPECT_EQ(ErrorOf("method: 1\n"), "method: \"1\" is not one of: unspecified, get, post");
}

TEST_F(YamlToMessageTest, RepeatedFieldsTakeLists) {
  EXPECT_EQ(Parse("numbers: [1, 2, 3]\n"), "numbers: 1 numbers: 2 numbers: 3 ");
  EXPECT_EQ(Parse("numbers: []\n"), "");
  EXPECT_EQ(ErrorOf("numbers: 1\n"), "numbers: expected a list, got a single value");
  EXPECT_EQ(ErrorOf("numbers: [1, x]\n"),
            "numbers[1]: \"x\" is not a whole number from -2147483648 to 2147483647");
  EXPECT_EQ(ErrorOf("numbers: [1, [2]]\n"),
            "numbers[1]: expected a whole number from -2147483648 to 2147483647, got a list");
  EXPECT_THAT(ErrorOf("numbers: [1, ~]\n"), StartsWith("numbers[1]: empty entry"));
}

TEST_F(YamlToMessageTest, NestedMessagesAndPaths) {
  EXPECT_EQ(Parse("children:\n  - text: a\n    children:\n      - i32: 7\n  - {}\n"),
            "children { text: \"a\" children { i32: 7 } } children { } ");
  EXPECT_THAT(ErrorOf("children:\n  - text: a\n  - children:\n      - nope: 1\n"),
              StartsWith("children[1].children[0].nope: unknown key (known keys: flag, i32, "));
}

TEST_F(YamlToMessageTest, MapFields) {
  EXPECT_EQ(Parse("labels: {b: 2, a: 1}\n"),
            "labels { key: \"a\" value: 1 } labels { key: \"b\" value: 2 } ");
  EXPECT_EQ(Parse("by_id:\n  7: {text: seven}\n"), "by_id { key: 7 value { text: \"seven\" } } ");
  EXPECT_EQ(ErrorOf("labels: {a: x}\n"),
            "labels.a: \"x\" is not a whole number from -2147483648 to 2147483647");
  EXPECT_EQ(ErrorOf("by_id: {x: {}}\n"),
            "by_id.x: \"x\" is not a whole number from 0 to 4294967295");
  EXPECT_THAT(ErrorOf("labels: {a: 1, a: 2}\n"), StartsWith("labels.a: given twice"));
  EXPECT_EQ(ErrorOf("labels: [a]\n"), "labels: expected a mapping, got a list");
}

TEST_F(YamlToMessageTest, Durations) {
  EXPECT_EQ(Parse("wait: 1.5s\n"), "wait { seconds: 1 nanos: 500000000 } ");
  EXPECT_EQ(Parse("wait: 2h\n"), "wait { seconds: 7200 } ");
  EXPECT_EQ(Parse("wait: 0\n"), "wait { } ");
  EXPECT_THAT(ErrorOf("wait: -5ms\n"), StartsWith("wait: \"-5ms\" is negative"));
  EXPECT_THAT(ErrorOf("wait: 5 s\n"), StartsWith("wait: \"5 s\" is not a duration"));
  EXPECT_THAT(ErrorOf("wait: [5s]\n"), StartsWith("wait: expected a duration"));
}

TEST_F(YamlToMessageTest, OneofTakesOneMember) {
  EXPECT_EQ(Parse("left: l\n"), "left: \"l\" ");
  EXPECT_EQ(Parse("left: ~\nright: 3\n"), "right: 3 ");
  EXPECT_EQ(ErrorOf("left: l\nright: 3\n"),
            "top level: both left and right are set; set only one of left, right");
  EXPECT_EQ(ErrorOf("children:\n  - right: 3\n    left: l\n"),
            "children[0]: both right and left are set; set only one of left, right");
}

TEST_F(YamlToMessageTest, KeysMustBeKnownAndGivenOnce) {
  EXPECT_THAT(ErrorOf("txet: a\n"),
              StartsWith("txet: unknown key (known keys: flag, i32, i64, u32, u64, ratio"));
  EXPECT_EQ(ErrorOf("text: a\ntext: b\n"), "text: given twice; keep one");
  EXPECT_THAT(ErrorOf("? [a]\n: 1\n"), StartsWith("top level: a key must be a name, got a list"));
}

TEST_F(YamlToMessageTest, DocumentShape) {
  EXPECT_THAT(ErrorOf("just a string\n"),
              StartsWith("top level: expected a mapping (known keys: flag,"));
  EXPECT_THAT(ErrorOf("- a\n"), HasSubstr("got a list"));
  EXPECT_EQ(ErrorOf("text: a\n---\ntext: b\n"),
            "the YAML holds 2 documents (separated by ---); write only one");
}

TEST_F(YamlToMessageTest, SyntaxErrorsHaveLineAndColumn) {
  EXPECT_THAT(ErrorOf("text: a\nnumbers: [1, 2\n"), StartsWith("YAML syntax error at line"));
  EXPECT_EQ(ErrorOf("text: a\n  flag: true\n"),
            "YAML syntax error at line 2, column 7: illegal map value");
}

TEST_F(YamlToMessageTest, RedactedMessagesEchoNoKeysOrValues) {
  YamlMappingOptions options;
  options.redacted_messages.insert("sample.Sample");
  struct Case {
    const char* yaml;
    const char* error;
  };
  for (const Case& c : {
           Case{"hidden123: 1\n", "top level: unknown key (not shown, as it may be a secret)"},
           Case{"i32: hidden123\n", "i32: the value (not shown, as it may be a secret) is not"},
           Case{"wait: hidden123\n", "wait: the value (not shown, as it may be a secret) is not"},
           Case{"children: [{text: a, hidden123: 1}]\n", "children[0]: unknown key (not shown"},
           Case{"labels: {hidden123: x}\n", "labels.<key not shown>: the value (not shown"},
       }) {
    std::unique_ptr<Message> message = NewSample();
    absl::Status status = YamlToMessage(c.yaml, message.get(), options);
    EXPECT_THAT(std::string(status.message()), StartsWith(c.error)) << c.yaml;
    EXPECT_THAT(std::string(status.message()), ::testing::Not(HasSubstr("hidden123"))) << c.yaml;
  }
}

// Found by config_fuzzer: nested aliases expand exponentially when the document is
// walked ("billion laughs"), so aliases are refused, naming where.
TEST_F(YamlToMessageTest, AliasesAreRefused) {
  EXPECT_EQ(ErrorOf("text: &t shared\nleft: *t\n"),
            "YAML alias (*name) at line 2, column 7: aliases are not supported; write the value "
            "out");
  EXPECT_THAT(ErrorOf("left: &l [1, 2]\nright: [*l, *l, *l]\n"), StartsWith("YAML alias"));
  // An anchor without an alias is harmless.
  EXPECT_EQ(Parse("text: &t shared\n"), "text: \"shared\" ");
}

// Found by config_fuzzer: yaml-cpp 0.7 never consumes a ',' outside a flow
// collection and loops forever (jbeder/yaml-cpp#1040); it is a syntax error here.
TEST_F(YamlToMessageTest, AStrayCommaIsASyntaxErrorNotAHang) {
  const std::string why = ": a character that cannot stand here (such as ',' outside [ ] or { })";
  EXPECT_EQ(ErrorOf(","), "YAML syntax error at line 1, column 1" + why);
  EXPECT_EQ(ErrorOf("[a], b"), "YAML syntax error at line 1, column 4" + why);
  // Empty documents in a row still count as documents.
  EXPECT_THAT(ErrorOf("---\n---\n"), StartsWith("the YAML holds 2 documents"));
}

}  // namespace
}  // namespace wxgate::config
