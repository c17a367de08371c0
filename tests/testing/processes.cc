#include "tests/testing/processes.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "storage/durable_file.h"

namespace villagesync::testing {
namespace {

// argv for execv: `binary` then `args`, pointing into the strings.
std::vector<char*> Argv(const std::string& binary,
                        const std::vector<std::string>& args) {
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(binary.c_str()));
  for (const std::string& a : args)
    argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

absl::StatusOr<std::string> ServerProcess::Start(
    const std::string& data_dir, const std::string& listen,
    const std::string& log_path, const std::vector<std::string>& extra) {
  // Its own free HTTP port: tests run side by side.
  std::vector<std::string> args = {"--data_dir",    data_dir,
                                   "--listen",      listen,
                                   "--http_listen", "127.0.0.1:0"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv = Argv(binary_, args);  // built before fork
  // Emptied before the child starts: what an earlier run logged must not
  // be read as this one's address.
  std::remove(log_path.c_str());
  pid_ = fork();
  if (pid_ == 0) {
    int log = open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(log, STDERR_FILENO);
    execv(binary_.c_str(), argv.data());
    _exit(127);
  }
  for (int i = 0; i < 500; ++i) {
    absl::StatusOr<std::string> log = ReadWholeFile(log_path);
    const std::string kServing = "serving address=";
    size_t at = log.ok() ? log->find(kServing) : std::string::npos;
    size_t begin = at + kServing.size();
    if (at != std::string::npos && log->find(' ', begin) != std::string::npos) {
      return log->substr(begin, log->find(' ', begin) - begin);
    }
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return absl::FailedPreconditionError(
          absl::StrCat("villagesyncd exited with ",
                       WIFEXITED(status) ? WEXITSTATUS(status) : -1, ": ",
                       log.value_or("")));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::DeadlineExceededError("villagesyncd did not start");
}

void ServerProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

ProgramResult RunProgram(const std::string& binary,
                         const std::vector<std::string>& args,
                         const std::string& scratch_dir) {
  std::string out_path = scratch_dir + "/program.out";
  std::string err_path = scratch_dir + "/program.err";
  std::vector<char*> argv = Argv(binary, args);
  ProgramResult result;
  pid_t pid = fork();
  if (pid == 0) {
    int in = open("/dev/null", O_RDONLY);
    int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  if (pid < 0 || waitpid(pid, &status, 0) != pid) return result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = ReadWholeFile(out_path).value_or("");
  result.err = ReadWholeFile(err_path).value_or("");
  return result;
}

}  // namespace villagesync::testing
