#include "store/data_dir_lock.h"

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include <gtest/gtest.h>

namespace undersigned::store {
namespace {

namespace fs = std::filesystem;

// POSIX locks belong to processes, so the other holder is a child process.
TEST(DataDirLockTest, ASecondProcessIsRefusedWithTheHoldersPidUntilItDies) {
  std::string tmpl = (fs::temp_directory_path() / "us_lock_test_XXXXXX").string();
  ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
  const std::string dir = tmpl;
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    close(ready[0]);
    auto lock = DataDirLock::Acquire(dir);
    char c = lock ? 'y' : 'n';
    if (write(ready[1], &c, 1) != 1) _exit(3);
    pause();  // holds the lock until killed
    _exit(0);
  }
  close(ready[1]);
  char c = 0;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  close(ready[0]);
  ASSERT_EQ(c, 'y');

  auto refused = DataDirLock::Acquire(dir);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Code::kConflict);
  EXPECT_NE(refused.error().message.find("in use by process " + std::to_string(child)),
            std::string::npos)
      << refused.error().message;
  EXPECT_NE(refused.error().message.find(dir), std::string::npos);

  kill(child, SIGKILL);  // a killed holder leaves no stale lock
  int status = 0;
  waitpid(child, &status, 0);
  auto mine = DataDirLock::Acquire(dir);
  ASSERT_TRUE(mine.has_value()) << mine.error().message;
  mine->reset();
  std::error_code ec;
  fs::remove_all(dir, ec);
}

}  // namespace
}  // namespace undersigned::store
