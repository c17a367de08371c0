#include "bench/child_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace villagesync::bench {
namespace {

absl::Status ErrnoError(absl::string_view what) {
  return absl::InternalError(absl::StrCat(what, ": ", std::strerror(errno)));
}

// argv as execvp wants it. Built before fork: in the child of a threaded
// process only async-signal-safe calls are allowed (no allocation).
std::vector<char*> ExecArgs(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  for (const std::string& arg : argv) {
    args.push_back(const_cast<char*>(arg.c_str()));
  }
  args.push_back(nullptr);
  return args;
}

[[noreturn]] void ExecOrDie(const std::vector<char*>& args) {
  execvp(args[0], args.data());
  static const char kFailed[] = "exec failed\n";
  (void)!write(STDERR_FILENO, kFailed, sizeof(kFailed) - 1);
  _exit(127);
}

// A harness killed mid-run must not leave servers behind.
void DieWithParent() { prctl(PR_SET_PDEATHSIG, SIGKILL); }

void RedirectStdin() {
  int null_fd = open("/dev/null", O_RDONLY);
  if (null_fd >= 0) dup2(null_fd, STDIN_FILENO);
}

std::string DescribeExit(int status) {
  if (WIFEXITED(status)) return absl::StrCat("exit ", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return absl::StrCat("signal ", WTERMSIG(status));
  return "unknown status";
}

// The value of a "Name:   123 kB" line of /proc/PID/status, in bytes.
absl::StatusOr<int64_t> StatusKilobytes(pid_t pid, absl::string_view name) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (!absl::StartsWith(line, name)) continue;
    std::vector<std::string> parts =
        absl::StrSplit(line, ' ', absl::SkipWhitespace());
    int64_t kb = 0;
    if (parts.size() >= 2 && absl::SimpleAtoi(parts[1], &kb)) return kb * 1024;
  }
  return absl::NotFoundError(absl::StrCat(name, " of process ", pid));
}

}  // namespace

absl::StatusOr<std::unique_ptr<ChildProcess>> ChildProcess::Start(
    const std::vector<std::string>& argv, const std::string& working_dir,
    const std::string& log) {
  std::string log_path = working_dir + "/" + log;
  std::vector<char*> args = ExecArgs(argv);
  int log_fd =
      open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (log_fd < 0) return ErrnoError(absl::StrCat("open ", log_path));
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    DieWithParent();
    RedirectStdin();
    if (chdir(working_dir.c_str()) != 0) _exit(127);
    dup2(log_fd, STDOUT_FILENO);
    dup2(log_fd, STDERR_FILENO);
    ExecOrDie(args);
  }
  close(log_fd);
  return std::unique_ptr<ChildProcess>(new ChildProcess(pid));
}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
}

absl::Status ChildProcess::Stop(absl::Duration grace) {
  if (reaped_) return absl::OkStatus();
  kill(pid_, SIGTERM);
  absl::Time deadline = absl::Now() + grace;
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  reaped_ = true;
  bool clean = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  // Node servers end on SIGTERM by the signal itself: also a clean stop.
  bool terminated = WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
  if (clean || terminated) return absl::OkStatus();
  return absl::InternalError(
      absl::StrCat("process ", pid_, " stopped with ", DescribeExit(status)));
}

absl::StatusOr<std::string> RunAndCapture(const std::vector<std::string>& argv,
                                          Stderr stderr_to) {
  std::vector<char*> args = ExecArgs(argv);
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoError("pipe");
  pid_t pid = fork();
  if (pid < 0) return ErrnoError("fork");
  if (pid == 0) {
    DieWithParent();
    RedirectStdin();
    dup2(pipe_fds[1], STDOUT_FILENO);
    if (stderr_to == Stderr::kCapture) dup2(pipe_fds[1], STDERR_FILENO);
    ExecOrDie(args);
  }
  close(pipe_fds[1]);
  std::string output;
  char buffer[65536];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof(buffer))) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    output.append(buffer, static_cast<size_t>(n));
  }
  close(pipe_fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return output;
  return absl::InternalError(absl::StrCat(absl::StrJoin(argv, " "), ": ",
                                          DescribeExit(status), ": ", output));
}

absl::StatusOr<int64_t> CpuMicros(pid_t pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  // Fields after the command name (which is in parentheses and may hold
  // spaces): state is field 3, utime 14 and stime 15.
  size_t close_paren = stat.rfind(')');
  if (close_paren == std::string::npos) {
    return absl::NotFoundError(absl::StrCat("no process ", pid));
  }
  std::vector<std::string> fields =
      absl::StrSplit(stat.substr(close_paren + 2), ' ', absl::SkipWhitespace());
  int64_t user = 0, system = 0;
  if (fields.size() < 13 || !absl::SimpleAtoi(fields[11], &user) ||
      !absl::SimpleAtoi(fields[12], &system)) {
    return absl::InternalError(absl::StrCat("bad /proc/", pid, "/stat"));
  }
  return (user + system) * 1'000'000 / sysconf(_SC_CLK_TCK);
}

absl::Status ResetPeakRss(pid_t pid) {
  std::ofstream out(absl::StrCat("/proc/", pid, "/clear_refs"));
  out << "5";
  out.close();
  if (!out) return absl::InternalError(absl::StrCat("clear_refs of ", pid));
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PeakRssBytes(pid_t pid) {
  return StatusKilobytes(pid, "VmHWM:");
}

absl::StatusOr<int> PickFreePort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoError("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    return ErrnoError("bind 127.0.0.1:0");
  }
  close(fd);
  return ntohs(addr.sin_port);
}

absl::Status WaitForPort(int port, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port));
    bool up =
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    if (up) return absl::OkStatus();
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError(
      absl::StrCat("nothing listens on 127.0.0.1:", port, " after ",
                   absl::FormatDuration(timeout)));
}

}  // namespace villagesync::bench
