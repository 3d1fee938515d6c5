#include "infersweep/sweep/isolated_run.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <stdexcept>
#include <thread>

namespace infersweep::sweep {

namespace {

constexpr int kThrew = 97;  // an exit code no sanitizer or runtime uses for its own failures

// The message of a failed child: "<tag>\n<message>", at most what a pipe holds unread.
void send_failure(int fd, const std::string& tag, const std::string& message) {
  const std::string text = (tag + "\n" + message).substr(0, 4000);
  for (size_t sent = 0; sent < text.size();) {
    const ssize_t n = ::write(fd, text.data() + sent, text.size() - sent);
    if (n <= 0) return;
    sent += static_cast<size_t>(n);
  }
}

std::string receive_all(int fd) {
  std::string text;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) text.append(buffer, static_cast<size_t>(n));
  return text;
}

}  // namespace

IsolatedOutcome run_isolated(const std::function<void()>& work, double timeout_s) {
  int channel[2];
  if (::pipe(channel) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
  const pid_t child = ::fork();
  if (child < 0) {
    ::close(channel[0]);
    ::close(channel[1]);
    throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  }
  if (child == 0) {
    ::close(channel[0]);
    // The library's own diagnostics (or a sanitizer's report of its crash) are not ours to print.
    const int null = ::open("/dev/null", O_WRONLY);
    if (null >= 0) ::dup2(null, STDERR_FILENO);
    int code = 0;
    try {
      work();
    } catch (const TaggedError& e) {
      send_failure(channel[1], e.tag(), e.what());
      code = kThrew;
    } catch (const std::exception& e) {
      send_failure(channel[1], "", e.what());
      code = kThrew;
    } catch (...) {
      send_failure(channel[1], "", "unknown error");
      code = kThrew;
    }
    ::_exit(code);  // no atexit handlers: they belong to the parent (MPI, HDF5)
  }
  ::close(channel[1]);
  struct CloseOnExit {
    int fd;
    ~CloseOnExit() { ::close(fd); }
  } reader{channel[0]};
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
  auto pause = std::chrono::microseconds(200);
  int status = 0;
  for (;;) {
    const pid_t done = ::waitpid(child, &status, WNOHANG);
    if (done == child) break;
    if (done < 0 && errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(child, SIGKILL);
      while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
      }
      return {IsolatedOutcome::Kind::timed_out, "", ""};
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return {IsolatedOutcome::Kind::completed, "", ""};
  if (WIFEXITED(status) && WEXITSTATUS(status) == kThrew) {
    const auto text = receive_all(channel[0]);
    const auto newline = text.find('\n');
    if (newline == std::string::npos) return {IsolatedOutcome::Kind::failed, text, ""};
    return {IsolatedOutcome::Kind::failed, text.substr(newline + 1), text.substr(0, newline)};
  }
  if (WIFSIGNALED(status))
    return {IsolatedOutcome::Kind::crashed,
            "signal " + std::to_string(WTERMSIG(status)) + " (" + ::strsignal(WTERMSIG(status)) + ")", ""};
  return {IsolatedOutcome::Kind::crashed, "exit code " + std::to_string(WEXITSTATUS(status)), ""};
}

}  // namespace infersweep::sweep
