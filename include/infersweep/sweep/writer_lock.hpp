#pragma once
// One writer per results file. Two kernel locks, which vanish with the process however it
// ends (no stale lock after kill -9): flock on <out>.lock (what `status` probes), and a write
// lock on the results file itself (an open-file-description lock, which HDF5's own flock does
// not see), so that a deleted <out>.lock does not let a second sweep in. The writer takes the
// second lock on each new file before renaming it into place (lock_for_writing).
#include <string>

namespace infersweep::sweep {

class WriterLock {
 public:
  // Throws InputError when another sweep holds either lock, or when `out` exists but is
  // read-only (a resume would replace it).
  explicit WriterLock(const std::string& out);
  ~WriterLock();
  WriterLock(const WriterLock&) = delete;
  WriterLock& operator=(const WriterLock&) = delete;

 private:
  int lock_fd_ = -1, file_fd_ = -1;
};

// Opens `path` and takes the write lock on it; returns the descriptor that holds it, or -1
// (errno set) with `held_elsewhere` saying whether another process holds the lock.
int lock_for_writing(const std::string& path, bool& held_elsewhere);
// Whether another process holds the write lock on the file at `path`.
bool locked_for_writing(const std::string& path);

}  // namespace infersweep::sweep
