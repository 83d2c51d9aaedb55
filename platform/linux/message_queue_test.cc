#include "platform/linux/message_queue.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>

#include "platform/linux/test_dir.h"

namespace edgeinfer::platform {
namespace {

namespace fs = std::filesystem;

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void write_all(const std::string& path, const std::string& data) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}
std::vector<uint64_t> peek_ids(const MessageQueue& q) {
  std::vector<uint64_t> ids;
  for (const QueuedMessage& m : q.peek(1000)) ids.push_back(m.id);
  return ids;
}
// Payload of message `id` in the tests below: its length varies with the id.
std::string payload_for(uint64_t id) {
  return "m" + std::to_string(id) + std::string(id % 37, 'x');
}

TEST(TelemetryQueue, AppendPeekRemoveKeepOrder) {
  TestDir dir;
  MessageQueue q(dir.path());
  EXPECT_EQ(q.next_id(), 1u);
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(q.append("t/" + std::to_string(i), payload_for(i)), uint64_t(i));
  const auto first = q.peek(3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[0].id, 1u);
  EXPECT_EQ(first[0].topic, "t/1");
  EXPECT_EQ(first[2].payload, payload_for(3));
  EXPECT_TRUE(q.remove(2));
  EXPECT_FALSE(q.remove(2));
  EXPECT_FALSE(q.remove(99));
  EXPECT_EQ(peek_ids(q), (std::vector<uint64_t>{1, 3, 4, 5}));
  EXPECT_EQ(q.peek(2, 3).front().id, 4u);  // after_id skips what is already in flight
  EXPECT_EQ(q.size(), 4u);
  uint64_t bytes = 0;
  for (uint64_t id : {1, 3, 4, 5}) bytes += MessageQueue::encode_record(id, "t/1", payload_for(id)).size();
  EXPECT_EQ(q.bytes(), bytes);
}

TEST(TelemetryQueue, ReopenKeepsMessagesAndNeverReusesIds) {
  TestDir dir;
  {
    MessageQueue q(dir.path());
    for (int i = 0; i < 4; ++i) q.append("t", payload_for(i + 1));
    EXPECT_TRUE(q.remove(1));
  }
  {
    MessageQueue q(dir.path());
    EXPECT_EQ(peek_ids(q), (std::vector<uint64_t>{2, 3, 4}));
    EXPECT_EQ(q.peek(1)[0].payload, payload_for(2));
    EXPECT_EQ(q.recovery().loaded, 3u);
    // Empty the queue, newest last: only the state file still knows the counter.
    for (uint64_t id : {2, 4, 3}) EXPECT_TRUE(q.remove(id));
  }
  MessageQueue q(dir.path());
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.next_id(), 5u);
  EXPECT_EQ(q.append("t", "x"), 5u);
}

// Acknowledging the newest message leaves an "ID.ack" marker (no state write per ack): with the state file
// gone too, the marker alone keeps the counter, also when older messages are acknowledged after it.
TEST(TelemetryQueue, AckMarkerKeepsTheCounterWithoutTheStateFile) {
  TestDir dir;
  {
    MessageQueue q(dir.path());
    for (int i = 0; i < 4; ++i) q.append("t", "x");
    EXPECT_TRUE(q.remove(4));
    EXPECT_TRUE(fs::exists(dir / MessageQueue::marker_name(4)));
    EXPECT_TRUE(q.remove(3));  // now the newest queued, but 4 was handed out: the marker stays 4
    EXPECT_TRUE(fs::exists(dir / MessageQueue::marker_name(4)));
    EXPECT_FALSE(fs::exists(dir / MessageQueue::marker_name(3)));
  }
  fs::remove(dir / "state");
  {
    MessageQueue q(dir.path());
    EXPECT_EQ(peek_ids(q), (std::vector<uint64_t>{1, 2}));
    EXPECT_EQ(q.next_id(), 5u);
    EXPECT_FALSE(fs::exists(dir / MessageQueue::marker_name(4)));  // the state took over at open
    EXPECT_EQ(q.append("t", "y"), 5u);
    EXPECT_TRUE(q.remove(5));
    EXPECT_TRUE(fs::exists(dir / MessageQueue::marker_name(5)));
    EXPECT_EQ(q.append("t", "z"), 6u);
    EXPECT_FALSE(fs::exists(dir / MessageQueue::marker_name(5)));  // the new file proves the counter
  }
  fs::remove(dir / "state");
  MessageQueue q(dir.path());
  EXPECT_EQ(q.next_id(), 7u);
}

TEST(TelemetryQueue, StateFileLostStillNeverReusesAStoredId) {
  TestDir dir;
  {
    MessageQueue q(dir.path());
    for (int i = 0; i < 3; ++i) q.append("t", "x");
  }
  fs::remove(dir / "state");
  MessageQueue q(dir.path());
  EXPECT_FALSE(q.recovery().state_found);
  EXPECT_EQ(q.next_id(), 4u);  // the newest file proves the counter
}

TEST(TelemetryQueue, BoundInMessagesDropsOldestAndCountsForTheNextPayload) {
  TestDir dir;
  std::map<uint64_t, uint64_t> seen_dropped;  // id -> the count its final payload carries
  {
    MessageQueue q(dir.path(), {.max_messages = 3, .max_bytes = 1 << 20});
    for (int i = 0; i < 6; ++i) {
      q.append("t", [&](uint64_t id, uint64_t dropped) {
        seen_dropped[id] = dropped;
        return payload_for(id);
      });
    }
    EXPECT_EQ(peek_ids(q), (std::vector<uint64_t>{4, 5, 6}));
    EXPECT_EQ(q.dropped_total(), 3u);
  }
  // The count each payload saw includes the drop its own append made.
  EXPECT_EQ(seen_dropped, (std::map<uint64_t, uint64_t>{{1, 0}, {2, 0}, {3, 0}, {4, 1}, {5, 2}, {6, 3}}));
  MessageQueue q(dir.path(), {.max_messages = 2, .max_bytes = 1 << 20});  // a smaller bound at open drops too
  EXPECT_EQ(q.dropped_total(), 4u);
  EXPECT_EQ(peek_ids(q), (std::vector<uint64_t>{5, 6}));
  EXPECT_EQ(q.next_id(), 7u);
}

TEST(TelemetryQueue, BoundInBytes) {
  TestDir dir;
  const std::string payload(100, 'p');
  const uint64_t record = MessageQueue::encode_record(1, "topic", payload).size();
  MessageQueue q(dir.path(), {.max_messages = 100, .max_bytes = 3 * record});
  for (int i = 0; i < 5; ++i) q.append("topic", payload);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.bytes(), 3 * record);
  EXPECT_EQ(q.dropped_total(), 2u);
  // One message larger than the whole bound is refused without consuming an id or dropping anything.
  EXPECT_THROW(q.append("topic", std::string(4 * record, 'z')), QueueError);
  EXPECT_EQ(q.next_id(), 6u);
  EXPECT_EQ(q.size(), 3u);
  EXPECT_EQ(q.dropped_total(), 2u);
}

TEST(TelemetryQueue, TruncatedOrDamagedFilesAreDeletedAtOpen) {
  TestDir dir;
  {
    MessageQueue q(dir.path());
    for (int i = 1; i <= 3; ++i) q.append("t", payload_for(i));
  }
  const std::string victim = dir / MessageQueue::file_name(2);
  const std::string good = read_all(victim);
  // Every truncation of message 2, a flipped bit, and a record whose inner id differs from its name.
  std::vector<std::string> bad;
  for (size_t n = 0; n < good.size(); ++n) bad.push_back(good.substr(0, n));
  std::string flipped = good;
  flipped[flipped.size() / 2] ^= 0x10;
  bad.push_back(flipped);
  bad.push_back(MessageQueue::encode_record(7, "t", payload_for(2)));
  bad.push_back(good + "trailing");
  for (const std::string& content : bad) {
    write_all(victim, content);
    write_all(dir / (MessageQueue::file_name(4) + ".tmp"), good.substr(0, 9));  // a crash before rename
    MessageQueue q(dir.path());
    EXPECT_EQ(peek_ids(q), (std::vector<uint64_t>{1, 3})) << content.size();
    EXPECT_EQ(q.recovery().removed_corrupt, 1u);
    EXPECT_EQ(q.recovery().removed_partial, 1u);
    EXPECT_FALSE(fs::exists(victim));
    EXPECT_FALSE(fs::exists(dir / (MessageQueue::file_name(4) + ".tmp")));
    EXPECT_EQ(q.next_id(), 4u);
  }
}

TEST(TelemetryQueue, InterruptedDropIsFinishedAtOpen) {
  TestDir dir;
  {
    MessageQueue q(dir.path());
    for (int i = 1; i <= 4; ++i) q.append("t", payload_for(i));
  }
  // What a kill between recording a drop of 1..2 and unlinking the files leaves behind.
  std::string state = "edgeinfer-queue-state-1 next=5 dropped=2 dropped_through=2";
  char crc[32];
  std::snprintf(crc, sizeof(crc), " crc=%08x\n", crc32_ieee(state.data(), state.size()));
  write_all(dir / "state", state + crc);
  MessageQueue q(dir.path());
  EXPECT_TRUE(q.recovery().state_found);
  EXPECT_EQ(q.recovery().finished_drops, 2u);
  EXPECT_EQ(peek_ids(q), (std::vector<uint64_t>{3, 4}));
  EXPECT_EQ(q.dropped_total(), 2u);
}

TEST(TelemetryQueue, SecondOpenerAndBadDirectoriesFailWithOneLine) {
  TestDir dir;
  MessageQueue q(dir.path());
  try {
    MessageQueue second(dir.path());
    ADD_FAILURE() << "a second queue on the same directory opened";
  } catch (const QueueError& e) {
    EXPECT_NE(std::string(e.what()).find("in use by another process"), std::string::npos) << e.what();
  }
  write_all(dir / "plain_file", "x");
  try {
    MessageQueue under_file(dir / "plain_file/queue");
    ADD_FAILURE() << "a queue below a regular file opened";
  } catch (const QueueError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("cannot create queue dir"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  EXPECT_THROW(MessageQueue(dir / "q2", {.max_messages = 0, .max_bytes = 10}), QueueError);
}

// Garbage in the queue directory (random names and bytes, truncated and bit-flipped records, forged valid
// records) never crashes open(), never comes out of peek(), and valid messages survive.
TEST(TelemetryQueue, GarbageFilesInTheDirectory) {
  std::mt19937_64 rng(20261203);
  for (int round = 0; round < 60; ++round) {
    TestDir dir;
    std::map<uint64_t, std::string> expected;  // id -> payload of every valid message
    {
      MessageQueue q(dir.path());
      const int n = static_cast<int>(rng() % 6);
      for (int i = 0; i < n; ++i) {
        const uint64_t id = q.append("edgeinfer/d/telemetry", payload_for(q.next_id()));
        expected[id] = payload_for(id);
      }
    }
    auto random_bytes = [&](size_t n) {
      std::string s(n, '\0');
      for (char& c : s) c = static_cast<char>(rng());
      return s;
    };
    uint64_t max_named = expected.empty() ? 0 : expected.rbegin()->first;
    const int garbage = 1 + static_cast<int>(rng() % 8);
    for (int g = 0; g < garbage; ++g) {
      const uint64_t id = 1 + rng() % 40;
      const std::string valid = MessageQueue::encode_record(id, "t", payload_for(id));
      switch (rng() % 7) {
        case 0:  // random bytes under a message name (replacing a real message counts as its loss)
          if (expected.count(id) != 0) break;
          write_all(dir / MessageQueue::file_name(id), random_bytes(rng() % 64));
          max_named = std::max(max_named, id);
          break;
        case 1:  // a truncated record
          if (expected.count(id) != 0) break;
          write_all(dir / MessageQueue::file_name(id), valid.substr(0, rng() % valid.size()));
          max_named = std::max(max_named, id);
          break;
        case 2: {  // a record with one byte changed
          if (expected.count(id) != 0) break;
          std::string s = valid;
          s[rng() % s.size()] ^= static_cast<char>(1 + rng() % 255);
          write_all(dir / MessageQueue::file_name(id), s);
          max_named = std::max(max_named, id);
          break;
        }
        case 3:  // a leftover temporary
          write_all(dir / (MessageQueue::file_name(id) + ".tmp"), random_bytes(rng() % 64));
          break;
        case 4:  // a foreign name, left alone
          write_all(dir / ("foreign" + std::to_string(g) + ".msg~"), random_bytes(8));
          break;
        case 5:  // a forged but valid record: it is a message like any other
          if (expected.count(id) != 0) break;
          write_all(dir / MessageQueue::file_name(id), valid);
          expected[id] = payload_for(id);
          max_named = std::max(max_named, id);
          break;
        case 6:  // an acknowledgement marker (any content): it counts for the counter, then goes
          write_all(dir / MessageQueue::marker_name(id), random_bytes(rng() % 16));
          max_named = std::max(max_named, id);
          break;
      }
    }
    MessageQueue q(dir.path());
    std::map<uint64_t, std::string> got;
    for (const QueuedMessage& m : q.peek(1000)) got[m.id] = m.payload;
    EXPECT_EQ(got, expected) << "round " << round;
    EXPECT_GT(q.next_id(), max_named);
    for (const auto& entry : fs::directory_iterator(dir.path())) {
      const std::string name = entry.path().filename().string();
      EXPECT_FALSE(name.ends_with(".tmp") || name.ends_with(".ack")) << name;
      if (name.ends_with(".msg")) {
        const uint64_t id = std::stoull(name.substr(0, 20));
        EXPECT_EQ(expected.count(id), 1u) << name;
      }
    }
  }
}

// kill -9 at random points of appends and removals, 25 times, in a child process: every message whose
// append() returned is there afterwards, whole, and ids are never handed out twice.
TEST(TelemetryQueue, KillNineDuringAppendAndRemove) {
  TestDir dir;
  std::mt19937 rng(7);
  std::set<uint64_t> must_exist;  // append returned, no removal started
  uint64_t max_reported = 0;
  size_t appended_total = 0;
  for (int round = 0; round < 25; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      MessageQueue q(dir.path(), {.max_messages = 100000, .max_bytes = 1ull << 30});
      for (uint64_t i = 0;; ++i) {
        // Acknowledge the oldest or the newest every third step; report it first (it may complete
        // unreported).
        if (i % 3 == 2 && !q.empty()) {
          uint64_t victim = i % 2 == 0 ? q.ids().front() : q.ids().back();
          uint64_t report = victim | (1ull << 63);
          if (::write(fds[1], &report, 8) != 8) ::_exit(3);
          q.remove(victim);
        }
        uint64_t id = q.append("t", [](uint64_t id, uint64_t) { return payload_for(id); });
        if (::write(fds[1], &id, 8) != 8) ::_exit(3);
      }
    }
    ::close(fds[1]);
    auto take = [&](uint64_t report) {
      if (report >> 63) {
        must_exist.erase(report & ~(1ull << 63));
        return;
      }
      EXPECT_GT(report, max_reported) << "id handed out twice";
      max_reported = report;
      must_exist.insert(report);
      ++appended_total;
    };
    // Kill after a random number of reported appends (fsync speed varies), plus a random fraction of one.
    uint64_t report;
    for (size_t wanted = 1 + rng() % 6, seen = 0; seen < wanted && ::read(fds[0], &report, 8) == 8;) {
      take(report);
      if (!(report >> 63)) ++seen;
    }
    ::usleep(rng() % 4000);
    ::kill(child, SIGKILL);
    int status = 0;
    ::waitpid(child, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status));
    while (::read(fds[0], &report, 8) == 8) take(report);
    ::close(fds[0]);
    MessageQueue q(dir.path(), {.max_messages = 100000, .max_bytes = 1ull << 30});
    EXPECT_EQ(q.recovery().removed_corrupt, 0u);
    std::set<uint64_t> present;
    for (const QueuedMessage& m : q.peek(1000000)) {
      EXPECT_EQ(m.payload, payload_for(m.id));
      present.insert(m.id);
    }
    for (uint64_t id : must_exist) EXPECT_EQ(present.count(id), 1u) << "stored message " << id << " lost";
    EXPECT_GT(q.next_id(), max_reported);
    // Messages present but never reported were stored just before the kill: they keep their ids.
    for (uint64_t id : present) max_reported = std::max(max_reported, id);
  }
  EXPECT_GE(appended_total, 25u);  // every round stored something before its kill
  std::printf("[ FIGURES  ] 25 kills, %zu appends reported, %zu messages on disk, 0 lost\n", appended_total,
              must_exist.size());
}

}  // namespace
}  // namespace edgeinfer::platform
