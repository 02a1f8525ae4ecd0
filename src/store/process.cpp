#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "store/dialect.hpp"

namespace attune::store::detail {

// The child is killed with this process (PR_SET_PDEATHSIG): a pg_dump or psql left running after
// `attune db restore` was killed finished the restore unseen, without the integrity check that
// follows it.
Result<int> RunProgram(const std::vector<std::string>& argv) {
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  // A pipe closed on exec tells the parent whether exec failed, and why.
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) return Fail(ErrorCode::IO, "cannot run " + argv[0] + ": " + std::strerror(errno));
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(report[0]);
    close(report[1]);
    return Fail(ErrorCode::IO, "cannot run " + argv[0] + ": " + std::strerror(error));
  }
  if (pid == 0) {
    close(report[0]);
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);  // the parent died before the line above
    execvp(args[0], args.data());
    const int error = errno;
    (void)!write(report[1], &error, sizeof error);
    _exit(127);
  }
  close(report[1]);
  int exec_error = 0;
  ssize_t got = 0;
  while ((got = read(report[0], &exec_error, sizeof exec_error)) < 0 && errno == EINTR) {
  }
  close(report[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return Fail(ErrorCode::IO, "waiting for " + argv[0] + " failed");
  }
  if (got == static_cast<ssize_t>(sizeof exec_error)) {
    return Fail(ErrorCode::IO, "cannot run " + argv[0] + ": " + std::strerror(exec_error));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

}  // namespace attune::store::detail
