// A county of real processes for tests: a villagesyncd child on a
// bootstrapped data dir, and devices driven through the villagesync CLI, each
// in its own dir, as an operator and field workers would use them.
#ifndef VILLAGESYNC_TESTS_TESTING_CLI_COUNTY_H_
#define VILLAGESYNC_TESTS_TESTING_CLI_COUNTY_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "tests/testing/processes.h"

namespace villagesync::testing {

// Not thread-safe. Test failures are reported with gtest's EXPECT/ADD_FAILURE.
class CliCounty {
 public:
  // `villagesyncd` and `cli` are the binaries; everything lives under
  // `root` (which must outlive this).
  CliCounty(std::string villagesyncd, std::string cli, std::string root);

  // Bootstraps the data dir (DataDir()), keeps the admin token, and starts
  // the server with `server_flags` on 127.0.0.1:0 (then on the same address
  // at each restart). Adds users zhou and wang (first secretaries of
  // 440101001) through an `admin` device.
  absl::Status SetUp(std::vector<std::string> server_flags = {});
  // Starts the server again on its address.
  absl::Status StartServer();
  // SIGKILL.
  void KillServer() { server_.Kill(); }

  std::string DataDir() const { return root_ + "/server"; }
  std::string Dir(const std::string& device) const {
    return root_ + "/" + device;
  }
  const std::string& address() const { return address_; }
  const std::string& zhou() const { return zhou_; }
  const std::string& wang() const { return wang_; }

  // Runs the CLI / villagesyncd to its end.
  ProgramResult Cli(const std::vector<std::string>& args) const;
  ProgramResult Daemon(const std::vector<std::string>& args) const;
  // Runs the CLI, expects exit 0, returns stdout without its last newline.
  std::string Ok(const std::vector<std::string>& args) const;

  // A device of `token` in its own dir.
  void Init(const std::string& device, const std::string& token) const;
  // `put members` of FIELD=VALUE arguments in village 440101001001; a new
  // record if `id` is empty. Returns the record's id.
  std::string Put(const std::string& device, const std::string& id,
                  const std::vector<std::string>& fields) const;
  std::string NewMember(const std::string& device) const;
  std::string Sync(const std::string& device) const;
  std::string GetJson(const std::string& device, const std::string& id) const;
  // "--store DIR admin WORDS...": an admin command run on `device`.
  std::vector<std::string> Admin(std::vector<std::string> words,
                                 const std::string& device = "admin") const;
  // zhou's phone and wang's laptop edit the phone number of one member
  // concurrently and sync: the conflict "members/VILLAGE/ID/phone" is open
  // on the server. Returns the member's id.
  std::string PhoneConflict() const;

 private:
  const std::string villagesyncd_, cli_, root_;
  std::vector<std::string> server_flags_;
  ServerProcess server_;
  std::string address_;
  std::string admin_token_, zhou_, wang_;
};

}  // namespace villagesync::testing

#endif  // VILLAGESYNC_TESTS_TESTING_CLI_COUNTY_H_
