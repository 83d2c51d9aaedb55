#include "tools/edgeinfer/output_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tools/edgeinfer/commands.h"

namespace edgeinfer::cli {
namespace {

std::string reason(int error) {
  return std::strerror(error);
}

}  // namespace

OutputFile::OutputFile(std::string path) : path_(std::move(path)) {
  if (path_.empty()) throw CliError{"empty output file name"};
  // O_EXCL: never write through a file (or symlink) someone else put there; the counter skips leftovers.
  static int counter = 0;
  for (int attempt = 0; attempt < 100; ++attempt) {
    temp_path_ = path_ + ".tmp." + std::to_string(getpid()) + "." + std::to_string(counter++);
    fd_ = open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd_ >= 0) return;
    if (errno != EEXIST) break;
  }
  const int error = errno;
  temp_path_.clear();
  throw CliError{path_ + ": cannot write (" + reason(error) + ")"};
}

OutputFile::~OutputFile() {
  if (!committed_) discard();
}

void OutputFile::discard() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temp_path_.empty()) std::remove(temp_path_.c_str());
  temp_path_.clear();
}

void OutputFile::write(const void* data, size_t size) {
  const char* bytes = static_cast<const char*>(data);
  while (size > 0) {
    if (fd_ < 0) throw CliError{path_ + ": write after close"};
    const ssize_t written = ::write(fd_, bytes, size);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int error = written < 0 ? errno : ENOSPC;
      discard();
      throw CliError{path_ + ": write failed (" + reason(error) + ")"};
    }
    bytes += written;
    size -= static_cast<size_t>(written);
  }
}

void OutputFile::close_checked() {
  if (fd_ < 0) throw CliError{path_ + ": write failed (file already closed)"};
  const int result = ::close(fd_);  // NFS and some file systems report write errors only here
  const int error = errno;
  fd_ = -1;
  if (result != 0) {
    discard();
    throw CliError{path_ + ": write failed (" + reason(error) + ")"};
  }
}

void commit_all(std::initializer_list<OutputFile*> files) {
  for (OutputFile* file : files) {
    try {
      file->close_checked();
    } catch (...) {
      for (OutputFile* other : files) other->discard();
      throw;
    }
  }
  std::vector<OutputFile*> renamed;
  for (OutputFile* file : files) {
    if (std::rename(file->temp_path_.c_str(), file->path_.c_str()) != 0) {
      const int error = errno;
      for (OutputFile* done : renamed) std::remove(done->path_.c_str());
      for (OutputFile* other : files) other->discard();
      throw CliError{file->path_ + ": cannot replace (" + reason(error) + ")"};
    }
    renamed.push_back(file);
    file->temp_path_.clear();
  }
  for (OutputFile* file : files) file->committed_ = true;
}

}  // namespace edgeinfer::cli
