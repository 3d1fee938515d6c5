#pragma once
// Values made once per key and shared by the threads that ask for them: the first caller of a
// key makes it while later callers of that key wait; callers of other keys go on. An error
// while making a value is rethrown to every caller of its key. Owned by whoever shares it: no
// process-wide state.
#include <exception>
#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace infersweep {

template <class Value>
class OnceMap {
 public:
  // The value of `key`, made by make() if nobody has made it yet.
  template <class Make>
  const Value& get(const std::string& key, Make&& make) {
    std::shared_ptr<Slot> slot;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto& entry = slots_[key];
      if (!entry) entry = std::make_shared<Slot>();
      slot = entry;
    }
    std::call_once(slot->made, [&] {
      try {
        slot->value = make();
      } catch (...) {
        slot->error = std::current_exception();
      }
    });
    if (slot->error) std::rethrow_exception(slot->error);
    return slot->value;
  }

  // Keys asked for so far (made, being made, or failed).
  size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slots_.size();
  }

 private:
  struct Slot {
    std::once_flag made;
    Value value{};
    std::exception_ptr error;
  };
  mutable std::mutex mutex_;
  std::map<std::string, std::shared_ptr<Slot>> slots_;
};

}  // namespace infersweep
