#include "platform/linux/message_queue.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>

namespace edgeinfer::platform {
namespace {

constexpr char kMagic[4] = {'E', 'I', 'Q', '1'};
constexpr size_t kHeaderBytes = 4 + 8 + 4 + 4;  // magic, id, topic length, payload length
constexpr size_t kMaxTopicBytes = 65535;
constexpr size_t kIdDigits = 20;
constexpr std::string_view kStateName = "state";
constexpr std::string_view kStateMagic = "edgeinfer-queue-state-1";

std::string errno_text() {
  return std::strerror(errno);
}

void put_u32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put_u64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
uint64_t get_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(p[i])) << (8 * i);
  return v;
}

// Writes `data` to PATH.tmp, fsyncs it and renames it to PATH; the caller fsyncs the directory.
void write_file_atomically(const std::string& path, std::string_view data) {
  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw QueueError("cannot write " + tmp + ": " + errno_text());
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::string why = errno_text();
      ::close(fd);
      ::unlink(tmp.c_str());
      throw QueueError("cannot write " + tmp + ": " + why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw QueueError("cannot sync " + tmp + ": " + why);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    std::string why = errno_text();
    ::unlink(tmp.c_str());
    throw QueueError("cannot rename " + tmp + ": " + why);
  }
}

void fsync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw QueueError("cannot open queue dir " + dir + ": " + errno_text());
  int rc = ::fsync(fd);
  std::string why = rc != 0 ? errno_text() : "";
  ::close(fd);
  if (rc != 0) throw QueueError("cannot sync queue dir " + dir + ": " + why);
}

bool read_file(const std::string& path, std::string* out) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return false;
  }
  out->resize(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < out->size()) {
    ssize_t n = ::read(fd, out->data() + done, out->size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  out->resize(done);
  return true;
}

// Parses and checks a record; false when anything is off.
bool decode_record(std::string_view data, uint64_t expected_id, QueuedMessage* out) {
  if (data.size() < kHeaderBytes + 4 || std::memcmp(data.data(), kMagic, 4) != 0) return false;
  const uint64_t id = get_le(data.data() + 4, 8);
  const uint64_t topic_len = get_le(data.data() + 12, 4);
  const uint64_t payload_len = get_le(data.data() + 16, 4);
  if (id != expected_id || topic_len > kMaxTopicBytes) return false;
  if (data.size() != kHeaderBytes + topic_len + payload_len + 4) return false;
  const size_t body_end = data.size() - 4;
  if (crc32_ieee(data.data(), body_end) != static_cast<uint32_t>(get_le(data.data() + body_end, 4)))
    return false;
  if (out != nullptr) {
    out->id = id;
    out->topic.assign(data.substr(kHeaderBytes, topic_len));
    out->payload.assign(data.substr(kHeaderBytes + topic_len, payload_len));
  }
  return true;
}

// "00000000000000000042.msg" -> 42 (suffix ".msg"); anything else -> 0.
uint64_t parse_id_name(std::string_view name, std::string_view suffix) {
  if (name.size() != kIdDigits + suffix.size() || name.substr(kIdDigits) != suffix) return 0;
  uint64_t id = 0;
  for (size_t i = 0; i < kIdDigits; ++i) {
    if (name[i] < '0' || name[i] > '9') return 0;
    const uint64_t digit = static_cast<uint64_t>(name[i] - '0');
    if (id > (UINT64_MAX - digit) / 10) return 0;
    id = id * 10 + digit;
  }
  return id;
}

}  // namespace

uint32_t crc32_ieee(const void* data, size_t size, uint32_t crc) {
  static const std::array<uint32_t, 256> table = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  const auto* p = static_cast<const uint8_t*>(data);
  crc = ~crc;
  for (size_t i = 0; i < size; ++i) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
  return ~crc;
}

std::string MessageQueue::encode_record(uint64_t id, std::string_view topic, std::string_view payload) {
  std::string out;
  out.reserve(kHeaderBytes + topic.size() + payload.size() + 4);
  out.append(kMagic, 4);
  put_u64(out, id);
  put_u32(out, static_cast<uint32_t>(topic.size()));
  put_u32(out, static_cast<uint32_t>(payload.size()));
  out.append(topic);
  out.append(payload);
  put_u32(out, crc32_ieee(out.data(), out.size()));
  return out;
}

std::string MessageQueue::file_name(uint64_t id) {
  char name[kIdDigits + 8];
  std::snprintf(name, sizeof(name), "%020llu.msg", static_cast<unsigned long long>(id));
  return name;
}

std::string MessageQueue::marker_name(uint64_t id) {
  std::string name = file_name(id);
  return name.replace(name.size() - 4, 4, ".ack");
}

std::string MessageQueue::path(std::string_view name) const {
  return dir_ + "/" + std::string(name);
}

MessageQueue::MessageQueue(std::string dir, QueueLimits limits) : dir_(std::move(dir)), limits_(limits) {
  if (dir_.empty()) throw QueueError("queue dir is empty");
  if (limits_.max_messages == 0 || limits_.max_bytes == 0) {
    throw QueueError("queue bound must allow at least one message (max_messages and max_bytes > 0)");
  }
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw QueueError("cannot create queue dir " + dir_ + ": " + ec.message());
  if (!std::filesystem::is_directory(dir_, ec)) throw QueueError("queue dir " + dir_ + " is not a directory");
  const std::string lock = path("lock");
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw QueueError("queue dir " + dir_ + " is not writable: " + errno_text());
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    ::close(lock_fd_);
    throw QueueError("queue dir " + dir_ + " is in use by another process");
  }
  try {
    recover();
  } catch (...) {
    ::close(lock_fd_);
    throw;
  }
}

MessageQueue::~MessageQueue() {
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void MessageQueue::recover() {
  // The state file: "MAGIC next=N dropped=D dropped_through=T crc=C".
  std::string state;
  uint64_t state_next = 1;
  if (read_file(path(kStateName), &state)) {
    unsigned long long next = 0, dropped = 0, through = 0;
    unsigned crc = 0;
    const size_t crc_at = state.find(" crc=");
    char magic[32] = {};
    if (crc_at != std::string::npos &&
        std::sscanf(state.c_str(), "%31s next=%llu dropped=%llu dropped_through=%llu crc=%x", magic, &next,
                    &dropped, &through, &crc) == 5 &&
        kStateMagic == magic && crc32_ieee(state.data(), crc_at) == crc) {
      state_next = next;
      dropped_total_ = dropped;
      dropped_through_ = through;
      recovery_.state_found = true;
    }
  }

  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) throw QueueError("cannot read queue dir " + dir_ + ": " + errno_text());
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);

  uint64_t max_seen = 0;
  std::vector<std::string> markers;
  for (const std::string& name : names) {
    if (name == "." || name == ".." || name == "lock" || name == kStateName) continue;
    if (name.size() > 4 && name.ends_with(".tmp")) {
      ::unlink(path(name).c_str());
      ++recovery_.removed_partial;
      continue;
    }
    if (const uint64_t acked = parse_id_name(name, ".ack"); acked != 0) {
      max_seen = std::max(max_seen, acked);  // the marker of an acknowledged newest message: see remove()
      markers.push_back(name);
      continue;
    }
    const uint64_t id = parse_id_name(name, ".msg");
    if (id == 0) {
      ++recovery_.ignored_foreign;
      continue;
    }
    max_seen = std::max(max_seen, id);
    std::string data;
    if (!read_file(path(name), &data) || !decode_record(data, id, nullptr)) {
      ::unlink(path(name).c_str());
      ++recovery_.removed_corrupt;
      continue;
    }
    if (id <= dropped_through_) {  // dropped (or acknowledged) before the crash: finish removing it
      ::unlink(path(name).c_str());
      ++recovery_.finished_drops;
      continue;
    }
    index_[id] = data.size();
    bytes_ += data.size();
  }
  recovery_.loaded = index_.size();
  // Never hand out an id again: not one in a file (even a removed corrupt one), nor one the state recorded.
  next_id_ = std::max({state_next, max_seen + 1, dropped_through_ + 1, uint64_t{1}});
  // The bound may have shrunk since the last run.
  make_room(0, 0);
  write_state();  // also proves the directory is writable now; the state now holds what the markers proved
  for (const std::string& name : markers) ::unlink(path(name).c_str());
}

void MessageQueue::write_state() {
  char text[160];
  int n = std::snprintf(text, sizeof(text), "%s next=%llu dropped=%llu dropped_through=%llu",
                        kStateMagic.data(), static_cast<unsigned long long>(next_id_),
                        static_cast<unsigned long long>(dropped_total_),
                        static_cast<unsigned long long>(dropped_through_));
  std::string state(text, static_cast<size_t>(n));
  std::snprintf(text, sizeof(text), " crc=%08x\n", crc32_ieee(state.data(), state.size()));
  state += text;
  write_file_atomically(path(kStateName), state);
  fsync_dir(dir_);
}

void MessageQueue::make_room(size_t extra_messages, uint64_t extra_bytes) {
  std::vector<uint64_t> victims;
  size_t count = index_.size();
  uint64_t bytes = bytes_;
  auto it = index_.begin();
  while (it != index_.end() &&
         (count + extra_messages > limits_.max_messages || bytes + extra_bytes > limits_.max_bytes)) {
    victims.push_back(it->first);
    --count;
    bytes -= it->second;
    ++it;
  }
  if (victims.empty()) return;
  // Record the drop first: a crash before the unlinks is finished at the next open, never under-counted.
  dropped_total_ += victims.size();
  dropped_through_ = victims.back();
  write_state();
  for (uint64_t id : victims) {
    ::unlink(path(file_name(id)).c_str());
    bytes_ -= index_[id];
    index_.erase(id);
  }
}

uint64_t MessageQueue::append(std::string_view topic, const PayloadBuilder& build) {
  if (topic.size() > kMaxTopicBytes) throw QueueError("topic longer than 65535 bytes");
  const uint64_t id = next_id_;
  std::string record;
  // Building the payload can change its length and so the room needed, which can drop more: repeat until
  // the count it reports is the count after this append's drops.
  for (int round = 0;; ++round) {
    const uint64_t dropped_before = dropped_total_;
    record = encode_record(id, topic, build(id, dropped_total_));
    if (record.size() > limits_.max_bytes) {
      throw QueueError("message of " + std::to_string(record.size()) + " bytes exceeds the queue bound of " +
                       std::to_string(limits_.max_bytes) + " bytes");
    }
    make_room(1, record.size());
    if (dropped_total_ == dropped_before || round == 3) break;
  }
  write_file_atomically(path(file_name(id)), record);
  fsync_dir(dir_);
  if (ack_marker_ != 0) {  // the new file proves the counter now
    ::unlink(path(marker_name(ack_marker_)).c_str());
    ack_marker_ = 0;
  }
  index_[id] = record.size();
  bytes_ += record.size();
  next_id_ = id + 1;
  return id;
}

uint64_t MessageQueue::append(std::string_view topic, std::string_view payload) {
  return append(topic, [&](uint64_t, uint64_t) { return std::string(payload); });
}

std::vector<QueuedMessage> MessageQueue::peek(size_t n, uint64_t after_id) const {
  std::vector<QueuedMessage> out;
  for (auto it = index_.upper_bound(after_id); it != index_.end() && out.size() < n; ++it) {
    std::string data;
    QueuedMessage message;
    // A file that vanished or changed under us is skipped; open() deletes it next time.
    if (read_file(path(file_name(it->first)), &data) && decode_record(data, it->first, &message)) {
      out.push_back(std::move(message));
    }
  }
  return out;
}

bool MessageQueue::remove(uint64_t id) {
  auto it = index_.find(id);
  if (it == index_.end()) return false;
  // The newest file is what proves next_id after a restart: rather than unlink it, rename it to a marker
  // ("ID.ack", never delivered), which the next append deletes. A rename needs no fsync: after a crash
  // either name is there, and both prove the counter; a state write (two fsyncs) per ack would double
  // the cost of a steady stream, where every ack removes the newest message.
  // A marker already on disk is newer than every queued message (appends delete it) and keeps proving.
  if (std::next(it) == index_.end() && ack_marker_ == 0) {
    if (::rename(path(file_name(id)).c_str(), path(marker_name(id)).c_str()) == 0) {
      ack_marker_ = id;
    } else {
      write_state();
      ::unlink(path(file_name(id)).c_str());
    }
  } else {
    ::unlink(path(file_name(id)).c_str());
  }
  bytes_ -= it->second;
  index_.erase(it);
  return true;
}

std::vector<uint64_t> MessageQueue::ids() const {
  std::vector<uint64_t> out;
  out.reserve(index_.size());
  for (const auto& [id, size] : index_) out.push_back(id);
  return out;
}

}  // namespace edgeinfer::platform
