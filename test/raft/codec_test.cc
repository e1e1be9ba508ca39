#include "raft/codec.h"

#include <gtest/gtest.h>

namespace tern::raft {
namespace {

Message full_append() {
  Message m;
  m.type = MessageType::kAppend;
  m.from = NodeId(3);
  m.to = NodeId(7);
  m.term = Term(12);
  m.index = LogIndex(100);
  m.log_term = Term(11);
  m.commit = LogIndex(98);
  m.entries = {Entry{Term(12), LogIndex(101), EntryType::kNoop, {}},
               Entry{Term(12), LogIndex(102), EntryType::kNormal, std::string("a\0b", 3)},
               Entry{Term(12), LogIndex(103), EntryType::kConfiguration,
                     encode_configuration(
                         Configuration{{NodeId(1), NodeId(3)}, {}, {NodeId(9)}, {NodeId(2)}, 4})}};
  return m;
}

Message snapshot_chunk() {
  Message m;
  m.type = MessageType::kSnapshot;
  m.from = NodeId(1);
  m.to = NodeId(2);
  m.term = Term(5);
  SnapshotChunk chunk;
  chunk.meta = SnapshotMeta{LogIndex(77), Term(4),
                            Configuration{{NodeId(1), NodeId(2)}, {NodeId(3)}, {}, {}, 0}};
  chunk.offset = 4096;
  chunk.total_bytes = 10000;
  chunk.data = std::string(100, 'x');
  chunk.chunk_crc = 0xdeadbeef;
  chunk.snapshot_crc = 0x12345678;
  chunk.last = true;
  m.snapshot = chunk;
  return m;
}

TEST(RaftCodec, EveryMessageTypeRoundTrips) {
  for (std::uint8_t type = 0; type <= kMaxMessageType; ++type) {
    Message m = full_append();
    m.type = static_cast<MessageType>(type);
    m.reject = type % 2 == 1;
    m.force = type == 4;
    m.reject_hint = LogIndex(type);
    m.hint_term = Term(type * 2);
    m.snapshot_offset = type * 1000u;
    auto decoded = decode_message(encode_message(m));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    EXPECT_EQ(*decoded, m) << message_type_name(m.type);
  }
  Message chunk = snapshot_chunk();
  auto decoded = decode_message(encode_message(chunk));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  EXPECT_EQ(*decoded, chunk);
}

TEST(RaftCodec, EveryTruncationIsAnErrorNotACrash) {
  for (const Message& m : {full_append(), snapshot_chunk()}) {
    std::string bytes = encode_message(m);
    for (std::size_t size = 0; size < bytes.size(); ++size) {
      auto decoded = decode_message(std::string_view(bytes).substr(0, size));
      ASSERT_FALSE(decoded.ok()) << "prefix of " << size << " bytes decoded";
      EXPECT_FALSE(decoded.error().message.empty());
    }
  }
}

TEST(RaftCodec, NamesTheProblem) {
  std::string bytes = encode_message(full_append());
  std::string bad_type = bytes;
  bad_type[1] = 42;
  EXPECT_NE(decode_message(bad_type).error().message.find("unknown raft message type 42"),
            std::string::npos);
  std::string bad_version = bytes;
  bad_version[0] = 9;
  EXPECT_NE(decode_message(bad_version).error().message.find("version 9"), std::string::npos);
  std::string trailing = bytes + "zz";
  EXPECT_NE(decode_message(trailing).error().message.find("2 trailing bytes"), std::string::npos);
  std::string huge_count = bytes;
  // The entry count sits after the fixed header (1+1+4+4+8*4+1+8*3 bytes).
  std::size_t count_at = 1 + 1 + 4 + 4 + 32 + 1 + 24;
  huge_count[count_at + 3] = static_cast<char>(0x7f);
  EXPECT_FALSE(decode_message(huge_count).ok());
}

TEST(RaftCodec, RandomCorruptionNeverCrashes) {
  std::string bytes = encode_message(snapshot_chunk());
  std::uint64_t state = 12345;
  int rejected = 0;
  for (int round = 0; round < 5000; ++round) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    std::string damaged = bytes;
    std::size_t at = (state >> 33) % damaged.size();
    damaged[at] = static_cast<char>(damaged[at] ^ static_cast<char>(1 + (state >> 20) % 255));
    auto decoded = decode_message(damaged);
    if (!decoded.ok()) ++rejected;
  }
  EXPECT_GT(rejected, 0);  // structural damage is caught; payload damage is left to checksums
}

}  // namespace
}  // namespace tern::raft
