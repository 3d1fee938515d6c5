#pragma once
// Runs a piece of work in a child process first, so that a crash or an endless loop there ends
// the child, not this process. The HDF5 library (1.10) can do either on a file whose metadata
// was damaged in the wrong place: fuzzing found segfaults in its global heap and attribute code
// and reads that never end. Reading a file is deterministic, so work that completes in the
// child completes here too.
#include <functional>
#include <stdexcept>
#include <string>

namespace infersweep::sweep {

struct IsolatedOutcome {
  enum class Kind { completed, failed, crashed, timed_out } kind = Kind::completed;
  // failed: the exception's message; crashed: "signal 11 (Segmentation fault)" or "exit code N"
  std::string detail;
  std::string tag;  // failed with a TaggedError: its tag
};

// An error whose kind the parent should know apart (a tag travels with the message).
class TaggedError : public std::runtime_error {
 public:
  TaggedError(std::string tag, const std::string& message) : std::runtime_error(message), tag_(std::move(tag)) {}
  const std::string& tag() const { return tag_; }

 private:
  std::string tag_;
};

// Forks; the child runs `work` with its stderr silenced and exits: 0 when it returned, a
// distinct code when it threw, the error's message coming back through a pipe. The child is
// killed after `timeout_s`. Call it before any thread is started (only the calling thread lives
// on in the child) and never with MPI in `work`.
IsolatedOutcome run_isolated(const std::function<void()>& work, double timeout_s);

}  // namespace infersweep::sweep
