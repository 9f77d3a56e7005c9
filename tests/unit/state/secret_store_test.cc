#include "state/secret_store.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

class SecretStoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-secret-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    key_path_ = dir_ / "secrets.key";
    auto state = StateStore::open(dir_ / "state.db");
    ASSERT_TRUE(state.ok()) << state.error().message;
    state_ = std::move(state).value();
  }
  void TearDown() override {
    state_.reset();
    fs::remove_all(dir_);
  }

  SecretStore open_secrets() {
    auto secrets = SecretStore::open(*state_, key_path_);
    EXPECT_TRUE(secrets.ok()) << secrets.error().message;
    return std::move(secrets).value();
  }

  static std::function<Result<std::string>()> counting_generator(int& calls) {
    return [&calls]() -> Result<std::string> {
      ++calls;
      return random_password(24);
    };
  }

  fs::path dir_;
  fs::path key_path_;
  std::unique_ptr<StateStore> state_;
};

TEST_F(SecretStoreTest, KeyFileIsCreatedPrivateWith32Bytes) {
  mode_t old_umask = ::umask(0);
  auto secrets = SecretStore::open(*state_, key_path_);
  ::umask(old_umask);
  ASSERT_TRUE(secrets.ok()) << secrets.error().message;
  struct stat st;
  ASSERT_EQ(::stat(key_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(st.st_size, 32);
}

TEST_F(SecretStoreTest, ValuesRoundTripAcrossReopening) {
  ASSERT_TRUE(open_secrets().put("platform", "mariadb_root", "s3cret value").ok());
  state_.reset();
  auto state = StateStore::open(dir_ / "state.db");
  ASSERT_TRUE(state.ok());
  state_ = std::move(state).value();

  auto value = open_secrets().get("platform", "mariadb_root");
  ASSERT_TRUE(value.ok()) << value.error().message;
  EXPECT_EQ(*value, "s3cret value");
}

TEST_F(SecretStoreTest, StoredRowIsNotThePlaintext) {
  ASSERT_TRUE(open_secrets().put("platform", "mariadb_root", "plain-to-see").ok());
  auto row = state_->get_secret_row("platform", "mariadb_root");
  ASSERT_TRUE(row.ok() && row->has_value());
  std::string raw((*row)->begin(), (*row)->end());
  EXPECT_EQ(raw.find("plain-to-see"), std::string::npos);
}

TEST_F(SecretStoreTest, KeyFileReadableByOthersIsRefusedWithTheFix) {
  { open_secrets(); }
  fs::permissions(key_path_, fs::perms::owner_read | fs::perms::owner_write |
                                 fs::perms::group_read | fs::perms::others_read);
  auto secrets = SecretStore::open(*state_, key_path_);
  ASSERT_FALSE(secrets.ok());
  EXPECT_NE(secrets.error().message.find("chmod 600 " + key_path_.string()), std::string::npos)
      << secrets.error().message;
}

TEST_F(SecretStoreTest, KeyFileOfTheWrongSizeIsRefused) {
  {
    std::ofstream key(key_path_);
    key << "too short";
  }
  fs::permissions(key_path_, fs::perms::owner_read | fs::perms::owner_write);
  auto secrets = SecretStore::open(*state_, key_path_);
  ASSERT_FALSE(secrets.ok());
  EXPECT_NE(secrets.error().message.find(key_path_.string()), std::string::npos);
  EXPECT_NE(secrets.error().message.find("32"), std::string::npos) << secrets.error().message;
}

TEST_F(SecretStoreTest, EnsureGeneratesOnceThenReturnsTheStoredValue) {
  SecretStore secrets = open_secrets();
  int calls = 0;
  auto first = secrets.ensure("prod/blog", "db_password", counting_generator(calls));
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = secrets.ensure("prod/blog", "db_password", counting_generator(calls));
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_EQ(*first, *second);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(*secrets.get("prod/blog", "db_password"), *first);
}

TEST_F(SecretStoreTest, EnsurePassesOnAGeneratorFailureWithoutStoring) {
  SecretStore secrets = open_secrets();
  auto failed = secrets.ensure("prod/blog", "salt",
                               []() -> Result<std::string> { return make_error("no entropy"); });
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().message, "no entropy");
  EXPECT_TRUE(secrets.names("prod/blog")->empty());
}

TEST_F(SecretStoreTest, MissingSecretNamesItAndSaysToApply) {
  auto missing = open_secrets().get("prod/blog", "db_password");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("prod/blog"), std::string::npos);
  EXPECT_NE(missing.error().message.find("db_password"), std::string::npos);
  EXPECT_NE(missing.error().message.find("wpfleet apply"), std::string::npos)
      << missing.error().message;
}

TEST_F(SecretStoreTest, AnotherKeyCannotDecryptAndTheErrorHidesTheValue) {
  ASSERT_TRUE(open_secrets().put("platform", "mariadb_root", "do-not-leak-me").ok());
  auto other = SecretStore::open(*state_, dir_ / "other.key");
  ASSERT_TRUE(other.ok()) << other.error().message;
  auto value = other->get("platform", "mariadb_root");
  ASSERT_FALSE(value.ok());
  EXPECT_EQ(value.error().message.find("do-not-leak-me"), std::string::npos);
  EXPECT_NE(value.error().message.find("mariadb_root"), std::string::npos) << value.error().message;
}

TEST_F(SecretStoreTest, RowCopiedToAnotherNameDoesNotDecrypt) {
  SecretStore secrets = open_secrets();
  ASSERT_TRUE(secrets.put("prod/blog", "admin_password", "admin-value").ok());
  auto row = state_->get_secret_row("prod/blog", "admin_password");
  ASSERT_TRUE(row.ok() && row->has_value());
  ASSERT_TRUE(state_->put_secret_row("prod/shop", "admin_password", **row).ok());
  EXPECT_FALSE(secrets.get("prod/shop", "admin_password").ok());
}

TEST_F(SecretStoreTest, NamesAndRemoveScope) {
  SecretStore secrets = open_secrets();
  std::string blog = tenant_secret_scope("prod", "blog");
  std::string shop = tenant_secret_scope("prod", "shop");
  EXPECT_EQ(blog, "prod/blog");
  ASSERT_TRUE(secrets.put(blog, "db_password", "a").ok());
  ASSERT_TRUE(secrets.put(blog, "auth_key", "b").ok());
  ASSERT_TRUE(secrets.put(shop, "db_password", "c").ok());
  EXPECT_EQ(*secrets.names(blog), (std::vector<std::string>{"auth_key", "db_password"}));

  ASSERT_TRUE(secrets.remove_scope(blog).ok());
  EXPECT_TRUE(secrets.names(blog)->empty());
  EXPECT_FALSE(secrets.get(blog, "db_password").ok());
  EXPECT_EQ(*secrets.get(shop, "db_password"), "c");
}

}  // namespace
}  // namespace wpfleet
