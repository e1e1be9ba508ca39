// Records: the binary codec round-trips and refuses damaged input; the JSON rendering has the
// exported-record shape; keys carry their partition in the upper 13 bits.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <limits>

#include "engine/records/keys.h"
#include "engine/records/record_codec.h"
#include "msgpack_boundaries.h"

namespace tern::engine {
namespace {

Record sample() {
  Record record;
  record.position = Position(42);
  record.source_position = Position(40);
  record.key = encode_key(PartitionId(3), 17);
  record.timestamp_ms = 1'700'000'000'123;
  record.record_type = RecordType::kCommandRejection;
  record.value_type = ValueType::kJob;
  record.intent = Intent::kComplete;
  record.rejection_type = RejectionType::kNotFound;
  record.rejection_reason = "Expected to complete job with key '1', but no such job was found";
  record.partition_id = PartitionId(3);
  record.request = RequestRef{2, 99};
  record.value = Json{{"type", "work"}, {"retries", 3}, {"variables", Json{{"a", 1.5}}}};
  return record;
}

TEST(RecordsTest, CodecRoundTripsEveryField) {
  Record record = sample();
  auto decoded = decode_record(encode_record(record));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(decoded.value(), record);
}

TEST(RecordsTest, BatchRoundTrips) {
  std::vector<Record> batch{sample(), sample()};
  batch[1].intent = Intent::kCompleted;
  auto decoded = decode_batch(encode_batch(batch));
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), batch);
}

TEST(RecordsTest, TruncatedAndDamagedRecordsAreRefused) {
  std::string bytes = encode_record(sample());
  for (std::size_t cut : {std::size_t{0}, std::size_t{5}, bytes.size() - 1}) {
    auto decoded = decode_record(std::string_view(bytes).substr(0, cut));
    ASSERT_FALSE(decoded.ok()) << "cut at " << cut;
    EXPECT_EQ(decoded.error().code, CodecErrorCode::kTruncated);
  }
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  EXPECT_EQ(decode_record(wrong_version).error().code, CodecErrorCode::kBadVersion);
}

TEST(RecordsTest, MetadataDecodesWithoutTheValueWhichDecodesOnItsOwn) {
  Record record = sample();
  std::string bytes = encode_record(record) + encode_record(record);
  std::size_t offset = 0;
  Record metadata;
  auto packed = decode_record_metadata(bytes, offset, metadata);
  ASSERT_TRUE(packed.ok()) << packed.error().message;
  EXPECT_EQ(offset, bytes.size() / 2);
  EXPECT_TRUE(metadata.value.is_null());
  Json value;
  ASSERT_TRUE(decode_value(*packed, value).ok());
  EXPECT_EQ(value, record.value);
  metadata.value = value;
  EXPECT_EQ(metadata, record);
  // A damaged value is refused when it is decoded.
  std::string damaged(*packed);
  damaged[0] = static_cast<char>(0xc1);  // a MessagePack type byte that is never used
  EXPECT_EQ(decode_value(damaged, value).error().code, CodecErrorCode::kBadValue);
}

// The log's value encoding writes exactly the bytes the library's MessagePack writer writes, at
// every boundary between the forms, so that logs written before and after read the same.
TEST(RecordsTest, ValueEncodingMatchesTheLibrarysMessagePackByteForByte) {
  std::vector<Json> values{
      nullptr, true,  false,    Json::object(), Json::array(),          "", 1.5, -0.0,
      0.1,     1e300, -3.25e-5, 16777217.0,     Json::binary({1, 2, 3})};
  for (std::int64_t n : test::msgpack_boundary_integers()) {
    values.emplace_back(n);
  }
  values.emplace_back(std::numeric_limits<std::uint64_t>::max());
  for (std::size_t size : {31u, 32u, 255u, 256u, 65535u, 65536u})
    values.emplace_back(std::string(size, 'x'));
  for (std::size_t size : {15u, 16u, 65535u, 65536u}) {
    Json array = Json::array();
    Json object = Json::object();
    for (std::size_t i = 0; i < size; ++i) {
      array.push_back(static_cast<std::int64_t>(i) - 40);
      object["k" + std::to_string(i)] = i;
    }
    values.push_back(std::move(array));
    values.push_back(std::move(object));
  }
  values.push_back(sample().value);
  values.push_back(Json{{"nested", Json{{"list", Json::array({1, "two", 3.0, nullptr})}}},
                        {"a much longer key than thirty-one bytes", -7}});
  for (const auto& value : values) {
    std::string ours;
    encode_value(value, ours);
    auto theirs = Json::to_msgpack(value);
    ASSERT_EQ(ours, std::string(theirs.begin(), theirs.end())) << value.dump().substr(0, 80);
  }
}

TEST(RecordsTest, RecordsOfEverySizeRoundTrip) {
  // Around the one-byte and two-byte lengths of the value's length prefix.
  for (std::size_t size : {0u, 100u, 120u, 125u, 130u, 16370u, 16400u, 70000u}) {
    Record record = sample();
    record.value = Json{{"s", std::string(size, 'y')}};
    auto decoded = decode_record(encode_record(record));
    ASSERT_TRUE(decoded.ok()) << size << ": " << decoded.error().message;
    EXPECT_EQ(decoded.value(), record) << size;
  }
}

TEST(RecordsTest, JsonHasTheExportedRecordShape) {
  Json json = to_json(sample());
  EXPECT_EQ(json["partitionId"], 3);
  EXPECT_EQ(json["position"], 42);
  EXPECT_EQ(json["sourceRecordPosition"], 40);
  EXPECT_EQ(json["key"], encode_key(PartitionId(3), 17).value());
  EXPECT_EQ(json["timestamp"], 1'700'000'000'123);
  EXPECT_EQ(json["recordType"], "COMMAND_REJECTION");
  EXPECT_EQ(json["valueType"], "JOB");
  EXPECT_EQ(json["intent"], "COMPLETE");
  EXPECT_EQ(json["rejectionType"], "NOT_FOUND");
  EXPECT_EQ(json["rejectionReason"], sample().rejection_reason);
  EXPECT_EQ(json["brokerVersion"], kBrokerVersion);
  EXPECT_EQ(json["value"]["type"], "work");
}

TEST(RecordsTest, KeysCarryThePartitionInTheUpper13Bits) {
  Key key = encode_key(PartitionId(5), 123);
  EXPECT_EQ(key.value(), (std::int64_t{5} << 51) + 123);
  EXPECT_EQ(partition_of(key), PartitionId(5));
  EXPECT_EQ(counter_of(key), 123);
  EXPECT_GT(encode_key(PartitionId(4095), kCounterMask).value(), 0);
  Key max = encode_key(PartitionId(8191), kCounterMask);
  EXPECT_EQ(partition_of(max), PartitionId(8191));
  EXPECT_EQ(counter_of(max), kCounterMask);
}

TEST(RecordsTest, IntentNamesMatchTheExportModel) {
  EXPECT_EQ(to_string(Intent::kElementActivating), "ELEMENT_ACTIVATING");
  EXPECT_EQ(to_string(Intent::kSequenceFlowTaken), "SEQUENCE_FLOW_TAKEN");
  EXPECT_EQ(to_string(Intent::kRecurredAfterBackoff), "RECURRED_AFTER_BACKOFF");
  EXPECT_EQ(to_string(ValueType::kProcessInstanceCreation), "PROCESS_INSTANCE_CREATION");
  EXPECT_EQ(to_string(RejectionType::kInvalidState), "INVALID_STATE");
}

}  // namespace
}  // namespace tern::engine
