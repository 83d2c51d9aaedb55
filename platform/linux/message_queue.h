// A bounded, crash-safe on-disk message queue: the store half of the telemetry's store and forward.
//
// Design: one file per message, named by its id (20 decimal digits + ".msg"), written as "ID.tmp", fsync'd,
// renamed to "ID.msg", then the directory fsync'd. Why one file per message rather than a segment log:
// rename() is atomic, so a message appears whole under its final name or not at all, and removal on
// acknowledgement (out of order when QoS 1 acks arrive out of order, or when the oldest are dropped) is
// one unlink() with no compaction or rewrite of live data. The cost is an inode per queued message, which
// the bound keeps small. Each file also carries a CRC-32 over header and body, so a file damaged by
// anything else (a filesystem that reorders data and rename after a power cut, a stray copy) is deleted at
// open instead of delivered.
//
// Ids are the telemetry's per-device sequence numbers: they start at 1, grow by one per append and are
// never reused, also after a crash. The highest id in the directory already proves the counter: when the
// newest message is acknowledged its file is renamed to "ID.ack" (a marker, never delivered) instead of
// deleted, and the next append deletes the marker. The "state" file (next id, dropped count, CRC) is
// written at open and when messages are dropped. An append costs one file write and two fsyncs.
//
// Bound: at most max_messages files and max_bytes bytes of message files. Appending past the bound drops
// the oldest messages first; the cumulative count of dropped messages is persisted ("state") and handed to
// the payload builder so it can go out in the next message. Drops are recorded as "dropped through id N"
// before the files are unlinked, so a crash in the middle is finished at the next open.
//
// Recovery at open: "*.tmp" files (a crash before rename) are deleted, every "*.msg" is read and checked
// (magic, id equal to its name, lengths, CRC) and deleted when it fails, "*.ack" markers count for the
// counter and are deleted once the state is written; other names are left alone. A
// lock file (flock) keeps a second process off the same directory.
//
// Not thread-safe: the owner serializes calls (TelemetryClient holds its mutex around them).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace edgeinfer::platform {

// Storage errors (unwritable directory, disk full, directory in use); what() is one line naming the path.
class QueueError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct QueueLimits {
  size_t max_messages = 10000;
  uint64_t max_bytes = 16u << 20;  // sum of the message files' sizes
};

struct QueuedMessage {
  uint64_t id = 0;
  std::string topic;
  std::string payload;
};

// What open() found on disk.
struct QueueRecovery {
  size_t loaded = 0;           // valid messages kept
  size_t removed_partial = 0;  // *.tmp files: a crash between write and rename
  size_t removed_corrupt = 0;  // *.msg files that failed the checks
  size_t finished_drops = 0;   // files a crash left behind after their drop was recorded
  size_t ignored_foreign = 0;  // other names, left alone
  bool state_found = false;    // the state file existed and was valid
};

class MessageQueue {
 public:
  // Creates `dir` when missing, takes its lock and recovers (see above). Throws QueueError.
  explicit MessageQueue(std::string dir, QueueLimits limits = {});
  ~MessageQueue();
  MessageQueue(const MessageQueue&) = delete;
  MessageQueue& operator=(const MessageQueue&) = delete;

  // Builds the payload for the id the message gets and the cumulative drop count (including drops this
  // append makes to stay in bounds), stores it durably and returns the id. When append() returns, the
  // message survives a kill or power cut. Throws QueueError (the message is then not stored and its id
  // not consumed), also when one message alone exceeds max_bytes.
  using PayloadBuilder = std::function<std::string(uint64_t id, uint64_t dropped_total)>;
  uint64_t append(std::string_view topic, const PayloadBuilder& build);
  uint64_t append(std::string_view topic, std::string_view payload);

  // Up to n stored messages with id > after_id, oldest first (read from disk).
  std::vector<QueuedMessage> peek(size_t n, uint64_t after_id = 0) const;
  // Removes a message (its acknowledgement arrived). False when it is not stored (already removed or
  // dropped). Removal need not be durable: a removal lost in a crash only causes a resend.
  bool remove(uint64_t id);

  bool contains(uint64_t id) const { return index_.count(id) != 0; }
  size_t size() const { return index_.size(); }
  uint64_t bytes() const { return bytes_; }
  bool empty() const { return index_.empty(); }
  uint64_t next_id() const { return next_id_; }
  uint64_t dropped_total() const { return dropped_total_; }
  std::vector<uint64_t> ids() const;
  const QueueRecovery& recovery() const { return recovery_; }
  const std::string& dir() const { return dir_; }
  const QueueLimits& limits() const { return limits_; }

  // The on-disk record of a message (exposed for tests that forge files).
  static std::string encode_record(uint64_t id, std::string_view topic, std::string_view payload);
  static std::string file_name(uint64_t id);
  static std::string marker_name(uint64_t id);

 private:
  std::string path(std::string_view name) const;
  void write_state();
  // Drops the oldest messages until `extra_messages` more messages of `extra_bytes` fit.
  void make_room(size_t extra_messages, uint64_t extra_bytes);
  void recover();

  std::string dir_;
  QueueLimits limits_;
  int lock_fd_ = -1;
  std::map<uint64_t, uint64_t> index_;  // id -> file size
  uint64_t bytes_ = 0;
  uint64_t next_id_ = 1;
  uint64_t dropped_total_ = 0;
  uint64_t dropped_through_ = 0;  // every id <= this is removed, acknowledged or dropped
  uint64_t ack_marker_ = 0;       // id of the "ID.ack" marker on disk, 0 when none
  QueueRecovery recovery_;
};

// CRC-32 (IEEE 802.3, as zlib's crc32()).
uint32_t crc32_ieee(const void* data, size_t size, uint32_t crc = 0);

}  // namespace edgeinfer::platform
