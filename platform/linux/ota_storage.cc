#include "platform/linux/ota_storage.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace edgeinfer::ota {
namespace {

bool make_dir(const std::string& path) {
  return mkdir(path.c_str(), 0755) == 0 || errno == EEXIST;
}

bool fsync_path(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return false;
  const bool ok = fsync(fd) == 0;
  return close(fd) == 0 && ok;
}

std::string parent_of(const std::string& path) {
  return path.substr(0, path.find_last_of('/'));
}

}  // namespace

FileStorage::FileStorage(std::string dir, uint32_t model_capacity)
    : dir_(std::move(dir)), model_capacity_(model_capacity) {
  if (!make_dir(dir_) || !make_dir(dir_ + "/slot_a") || !make_dir(dir_ + "/slot_b"))
    fail("cannot create the device directory " + dir_);
}

bool FileStorage::fail(const std::string& what) {
  error_ = what + (errno != 0 ? std::string(": ") + std::strerror(errno) : std::string());
  ok_ = false;
  return false;
}

std::string FileStorage::path(Region region) const {
  switch (region) {
    case Region::kModelA: return dir_ + "/slot_a/model.tflite";
    case Region::kMetaA: return dir_ + "/slot_a/package.meta";
    case Region::kModelB: return dir_ + "/slot_b/model.tflite";
    case Region::kMetaB: return dir_ + "/slot_b/package.meta";
    case Region::kState0: return dir_ + "/state.0";
    case Region::kState1: return dir_ + "/state.1";
  }
  return dir_ + "/unknown";
}

uint32_t FileStorage::capacity(Region region) {
  switch (region) {
    case Region::kModelA:
    case Region::kModelB: return model_capacity_;
    case Region::kMetaA:
    case Region::kMetaB: return 2 * kMaxGoldenBytes + kHeaderBytes + kSignatureBytes;
    default: return kStateRecordBytes;
  }
}

bool FileStorage::begin_write(Region region, uint32_t size) {
  if (size > capacity(region)) return false;
  const int fd = open(path(region).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("cannot open " + path(region));
  return close(fd) == 0 || fail("cannot close " + path(region));
}

bool FileStorage::write(Region region, uint32_t offset, const void* data, uint32_t size) {
  if (uint64_t{offset} + size > capacity(region)) return false;
  const int fd = open(path(region).c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return fail("cannot open " + path(region));
  const uint8_t* bytes = static_cast<const uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pwrite(fd, bytes + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return fail("cannot write " + path(region));
    }
    done += static_cast<size_t>(n);
  }
  return close(fd) == 0 || fail("cannot write " + path(region));
}

bool FileStorage::sync(Region region) {
  if (!fsync_path(path(region), O_RDONLY)) return fail("cannot sync " + path(region));
  if (!fsync_path(parent_of(path(region)), O_RDONLY | O_DIRECTORY)) return fail("cannot sync " + dir_);
  return true;
}

bool FileStorage::read(Region region, uint32_t offset, void* data, uint32_t size) {
  const int fd = open(path(region).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;  // a region never written: not an error worth keeping
  uint8_t* bytes = static_cast<uint8_t*>(data);
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, bytes + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // past the end: the region holds less than asked
    done += static_cast<size_t>(n);
  }
  close(fd);
  return done == size;
}

}  // namespace edgeinfer::ota
