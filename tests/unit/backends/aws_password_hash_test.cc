// The admin password hash the aws backend writes by SQL: WordPress's own PasswordHash
// (class-phpass.php of the Debian wordpress package, run by php) must accept it, and
// refuse another password; each hash has its own salt.
#include <gtest/gtest.h>

#include <filesystem>

#include "backends/aws/tenant_data.h"
#include "util/process.h"

namespace wpfleet::aws_backend {
namespace {

constexpr const char* kPhpass = "/usr/share/wordpress/wp-includes/class-phpass.php";

// What WordPress's PasswordHash::CheckPassword says of `password` against `hash`.
std::string wordpress_checks(const std::string& password, const std::string& hash) {
  CommandSpec spec;
  spec.argv = {"php", "-r",
               std::string("require '") + kPhpass +
                   "'; $in = explode(\"\\n\", stream_get_contents(STDIN), 2);"
                   " $h = new PasswordHash(8, true);"
                   " echo $h->CheckPassword($in[1], $in[0]) ? 'yes' : 'no';"};
  spec.stdin_data = hash + "\n" + password;
  auto out = run_command(spec);
  EXPECT_TRUE(out.ok()) << (out.ok() ? "" : out.error().message);
  return out.ok() ? out->out : "";
}

TEST(AwsPasswordHash, WordPressAcceptsItAndRefusesAnotherPassword) {
  if (!std::filesystem::exists(kPhpass)) GTEST_SKIP() << "the wordpress package is not installed";
  const std::string password = "Zq9$ 'ü\"\\x";
  auto hash = wordpress_password_hash(password);
  ASSERT_TRUE(hash.ok()) << hash.error().message;
  EXPECT_EQ(hash->substr(0, 4), "$P$B");
  EXPECT_EQ(hash->size(), 34u);
  EXPECT_EQ(wordpress_checks(password, *hash), "yes");
  EXPECT_EQ(wordpress_checks(password + "y", *hash), "no");
}

TEST(AwsPasswordHash, EachHashHasItsOwnSalt) {
  auto first = wordpress_password_hash("same");
  auto second = wordpress_password_hash("same");
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_NE(*first, *second);
}

}  // namespace
}  // namespace wpfleet::aws_backend
