// The WordPress installer task's command: the image's own setup first, then PHP whose
// arbitrary text arrives base64-encoded, and never a secret.
#include <gtest/gtest.h>

#include "backends/aws/site_install.h"
#include "util/crypto.h"

namespace wpfleet::aws_backend {
namespace {

std::vector<std::string> command_for(const SiteInstallInputs& in) {
  auto command = site_install_command(in);
  EXPECT_TRUE(command.ok()) << command.error().message;
  return command.ok() ? *command : std::vector<std::string>{};
}

TEST(AwsSiteInstall, TheImagesSetupRunsBeforePhp) {
  const auto command = command_for(
      {"goldencrust.wpsit.kimmyai.io", "Golden Crust", "owner@goldencrust.example", false});
  ASSERT_EQ(command.size(), 5u);
  EXPECT_EQ(command[0], "sh");
  EXPECT_EQ(command[1], "-c");
  const std::string& script = command[2];
  EXPECT_LT(script.find("docker-ensure-installed.sh"), script.find("exec php -r \"$1\""));
  EXPECT_NE(script.find("set -e"), std::string::npos);
  const std::string& php = command[4];
  EXPECT_NE(php.find("require '/var/www/html/wp-load.php'"), std::string::npos);
  EXPECT_NE(php.find("is_blog_installed()"), std::string::npos);
  EXPECT_NE(php.find("getenv('WPFLEET_ADMIN_PASSWORD')"), std::string::npos);
}

TEST(AwsSiteInstall, TitleAndEmailTravelBase64Encoded) {
  const SiteInstallInputs in{"x.example", "Sam's \"Café\" $(rm -rf /) `id`", "a'b@example.com",
                             false};
  const auto command = command_for(in);
  ASSERT_EQ(command.size(), 5u);
  for (const auto& part : command) {
    EXPECT_EQ(part.find("Sam's"), std::string::npos);
    EXPECT_EQ(part.find("$(rm"), std::string::npos);
    EXPECT_EQ(part.find("a'b@"), std::string::npos);
  }
  const std::string& php = command[4];
  const auto start = php.find("base64_decode('") + 15;
  const std::string encoded = php.substr(start, php.find('\'', start) - start);
  const std::string expected_json =
      R"({"admin_email":"a'b@example.com","admin_user":"admin","host":"x.example","public":false,"title":"Sam's \"Café\" $(rm -rf /) `id`"})";
  EXPECT_EQ(encoded, base64(expected_json));
}

TEST(AwsSiteInstall, OnlyProductionIsPublic) {
  const auto hidden = command_for({"h", "T", "e@example.com", false});
  const auto open = command_for({"h", "T", "e@example.com", true});
  EXPECT_NE(hidden[4], open[4]);
  EXPECT_NE(hidden[4].find("update_option('blog_public', $in['public'] ? '1' : '0')"),
            std::string::npos);
}

TEST(AwsSiteInstall, ATitleTooLongForRunTaskIsAnError) {
  auto command = site_install_command({"h", std::string(7000, 'x'), "e@example.com", false});
  ASSERT_FALSE(command.ok());
  EXPECT_NE(command.error().message.find("shorten"), std::string::npos);
}

}  // namespace
}  // namespace wpfleet::aws_backend
