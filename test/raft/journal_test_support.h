#pragma once

// Helpers the journal tests share: entries with a recognisable payload, opening a journal that
// must open, and appending a range of entries that must append.

#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "raft/journal/journal.h"

namespace tern::raft::journal::test_support {

inline Entry make_entry(std::uint64_t index, std::uint64_t term, std::string data = "") {
  if (data.empty()) data = "payload-" + std::to_string(index);
  return Entry{Term(term), LogIndex(index), EntryType::kNormal, std::move(data)};
}

inline std::unique_ptr<Journal> open_ok(const std::filesystem::path& dir,
                                        JournalOptions options = {}) {
  auto journal = Journal::open(dir, options);
  EXPECT_TRUE(journal.ok()) << (journal.ok() ? "" : journal.error().message);
  return journal.ok() ? std::move(*journal) : nullptr;
}

// Appends entries `from`..`to` (inclusive) of `term`.
inline void append_range(Journal& journal, std::uint64_t from, std::uint64_t to,
                         std::uint64_t term) {
  std::vector<Entry> entries;
  for (std::uint64_t i = from; i <= to; ++i)
    entries.push_back(make_entry(i, term));
  auto appended = journal.append(entries);
  ASSERT_TRUE(appended.ok()) << appended.error().message;
}

}  // namespace tern::raft::journal::test_support
