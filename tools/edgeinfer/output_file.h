// Output files of the CLI (run --output, export -o/--header): written to a temporary file in the
// destination's directory and renamed over the destination only when the whole command succeeded, so that a
// failed command leaves no partial or stale-looking file behind and a reader never sees a half-written one.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace edgeinfer::cli {

class OutputFile;
// Commits several files together: all are closed (the last write errors show there) before the first
// rename, and when a rename fails the files already renamed are removed again: all or nothing.
void commit_all(std::initializer_list<OutputFile*> files);

class OutputFile {
 public:
  // Creates the temporary file beside `path` ("PATH.tmp.PID.N"); throws CliError naming `path` when it
  // cannot.
  explicit OutputFile(std::string path);
  // Removes the temporary file unless commit() succeeded.
  ~OutputFile();
  OutputFile(const OutputFile&) = delete;
  OutputFile& operator=(const OutputFile&) = delete;

  // Appends bytes; throws CliError on a write error (disk full, ...).
  void write(const void* data, size_t size);
  void write(std::string_view text) { write(text.data(), text.size()); }

  // Closes the temporary file and renames it to the destination; throws CliError when either fails (the
  // temporary file is removed then).
  void commit() { commit_all({this}); }

  const std::string& path() const { return path_; }
  const std::string& temp_path() const { return temp_path_; }

 private:
  friend void commit_all(std::initializer_list<OutputFile*> files);
  void close_checked();
  void discard();

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace edgeinfer::cli
