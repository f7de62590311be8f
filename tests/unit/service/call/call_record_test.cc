#include "service/call/call_record.h"

#include <grpcpp/server_context.h>
#include <gtest/gtest.h>

namespace wxgate {
namespace {

TEST(CallRecordTest, IsFoundFromItsContextWhileOpen) {
  grpc::ServerContext context, other;
  EXPECT_EQ(CallRecordOf(context), nullptr);
  auto record = std::make_shared<CallRecord>("r-1", ContinueTrace(std::nullopt));
  OpenCallRecord(&context, record);
  EXPECT_EQ(CallRecordOf(context), record);
  EXPECT_EQ(CallRecordOf(other), nullptr);
  CloseCallRecord(&context);
  EXPECT_EQ(CallRecordOf(context), nullptr);
  EXPECT_EQ(record->request_id(), "r-1");  // the holder keeps it
}

TEST(CallRecordTest, CollectsWhatTheStagesOfTheCallLearn) {
  CallRecord record("r-2", ContinueTrace(std::nullopt));
  EXPECT_EQ(record.admission().caller, "");
  record.Admitted("billing", "wx1,wx2");
  record.Answers("4bf92f3577b34da6a3ce929d0e0e4736");
  const CallRecord::Admission admission = record.admission();
  EXPECT_EQ(admission.caller, "billing");
  EXPECT_EQ(admission.appid, "wx1,wx2");
  EXPECT_EQ(admission.push_trace_id, "4bf92f3577b34da6a3ce929d0e0e4736");
}

}  // namespace
}  // namespace wxgate
