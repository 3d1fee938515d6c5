#include "infersweep/sweep/writer_lock.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "infersweep/common/error.hpp"

namespace infersweep::sweep {

namespace {

struct flock whole_file(short type) {
  struct flock range = {};
  range.l_type = type;
  range.l_whence = SEEK_SET;  // start 0, length 0: the whole file, however it grows
  return range;
}

std::string mode_text(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

}  // namespace

int lock_for_writing(const std::string& path, bool& held_elsewhere) {
  held_elsewhere = false;
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return -1;
  auto range = whole_file(F_WRLCK);
  if (::fcntl(fd, F_OFD_SETLK, &range) != 0) {
    const int error = errno;
    ::close(fd);
    held_elsewhere = error == EAGAIN || error == EACCES;
    errno = error;
    return -1;
  }
  return fd;
}

bool locked_for_writing(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  auto range = whole_file(F_RDLCK);
  const bool locked = ::fcntl(fd, F_OFD_GETLK, &range) == 0 && range.l_type != F_UNLCK;
  ::close(fd);
  return locked;
}

WriterLock::WriterLock(const std::string& out) {
  const std::string lock = out + ".lock";
  lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) throw InputError("cannot create lock file " + lock + ": " + std::strerror(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    const int reason = errno;
    ::close(lock_fd_);
    if (reason != EWOULDBLOCK) throw InputError("cannot lock " + lock + ": " + std::strerror(reason));
    throw InputError("another sweep is writing this file (" + lock + " is locked)");
  }
  // The file itself, while it is the one under the name `out` (a writer may rename a new file
  // into place between our open and our lock: then lock that one).
  for (int attempt = 0; attempt < 100; ++attempt) {
    struct stat named = {};
    if (::stat(out.c_str(), &named) != 0) return;  // a first run: the writer locks the file it creates
    if ((named.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0) {
      ::close(lock_fd_);
      throw InputError(out + " is read-only (mode " + mode_text(named.st_mode) +
                       "); a resume would replace it: make it writable (chmod u+w) or choose another --out");
    }
    bool held_elsewhere = false;
    file_fd_ = lock_for_writing(out, held_elsewhere);
    if (file_fd_ < 0) {
      const int error = errno;
      ::close(lock_fd_);
      if (held_elsewhere) throw InputError("another sweep is writing " + out + " (it holds a lock on the file)");
      throw InputError("cannot open " + out + " for writing: " + std::strerror(error));
    }
    struct stat locked = {};
    if (::fstat(file_fd_, &locked) == 0 && ::stat(out.c_str(), &named) == 0 && locked.st_ino == named.st_ino &&
        locked.st_dev == named.st_dev)
      return;
    ::close(file_fd_);
    file_fd_ = -1;
  }
  ::close(lock_fd_);
  throw InputError(out + " keeps being replaced: is another sweep writing it?");
}

WriterLock::~WriterLock() {
  if (file_fd_ >= 0) ::close(file_fd_);
  ::close(lock_fd_);
}

}  // namespace infersweep::sweep
