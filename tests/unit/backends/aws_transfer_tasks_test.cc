#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "backends/aws/task_files.h"
#include "backends/aws/transfer_tasks.h"
#include "util/fs.h"
#include "util/process.h"
#include "util/safe_tree.h"

namespace wpfleet::aws_backend {
namespace {

namespace fs = std::filesystem;

TEST(TransferTaskOutput, RowCountsAndSummariesAreReadLineByLine) {
  auto counts = parse_transfer_counts("wp_options\t12\nwp_posts\t3\n");
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ(*counts, (std::map<std::string, std::uint64_t>{{"wp_options", 12}, {"wp_posts", 3}}));
  auto none = parse_transfer_counts("");
  ASSERT_TRUE(none);
  EXPECT_TRUE(none->empty());

  auto tables = parse_table_summaries("wp_posts\t3\t912\nwp_options\t12\tNULL\n");
  ASSERT_TRUE(tables) << tables.error().message;
  EXPECT_EQ((*tables)["wp_posts"].rows, 3u);
  EXPECT_EQ((*tables)["wp_posts"].checksum, "912");
  EXPECT_EQ((*tables)["wp_options"].checksum, "NULL");

  auto files = parse_files_summary("7\t4096\tabc123\n");
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_EQ(files->count, 7u);
  EXPECT_EQ(files->bytes, 4096u);
  EXPECT_EQ(files->digest, "abc123");
}

// A task that printed something else (an error page, a truncated object) is an error
// that quotes the line, never a count of 0.
TEST(TransferTaskOutput, AnythingElseIsRefusedNamingTheLine) {
  auto counts = parse_transfer_counts("wp_posts\t3\n<Error>AccessDenied</Error>\n");
  ASSERT_FALSE(counts);
  EXPECT_NE(counts.error().message.find("<Error>AccessDenied</Error>"), std::string::npos);
  EXPECT_FALSE(parse_transfer_counts("wp_posts\t-1\n"));
  EXPECT_FALSE(parse_table_summaries("wp_posts\t3\n"));
  EXPECT_FALSE(parse_files_summary("7\t4096\tabc\n8\t1\tdef\n"));
  EXPECT_FALSE(parse_files_summary(""));
}

class TaskFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    auto made = PrivateDir::create("unit");
    ASSERT_TRUE(made) << made.error().message;
    dir_ = std::make_unique<PrivateDir>(std::move(*made));
  }
  fs::path path() const { return dir_->path(); }
  std::unique_ptr<PrivateDir> dir_;
};

Status run_tar(const std::vector<std::string>& args) {
  CommandSpec spec;
  spec.argv = {"tar"};
  spec.argv.insert(spec.argv.end(), args.begin(), args.end());
  TRY_ASSIGN(auto out, run_command(spec));
  if (out.exit_code != 0) return make_error("tar failed: " + out.err);
  return {};
}

// What `pack` sends back is the tenant's, so hostile: symlinks stay out, and a name
// leading out of the directory it is unpacked into is refused.
TEST_F(TaskFiles, AnArchiveFromTheEfsIsUnpackedWithoutItsLinks) {
  const fs::path tenant = path() / "tenant";
  fs::create_directories(tenant / "uploads");
  std::ofstream(tenant / "uploads" / "a.txt") << "hello";
  fs::permissions(tenant / "uploads" / "a.txt", fs::perms(0640));
  fs::create_symlink("/etc/passwd", tenant / "uploads" / "passwd");
  ASSERT_TRUE(run_tar({"-C", tenant.string(), "-cf", (path() / "in.tar").string(), "."}));

  fs::create_directories(path() / "out");
  auto out = open_dir(path() / "out");
  ASSERT_TRUE(out);
  ASSERT_TRUE(unpack_tar_beneath(path() / "in.tar", out->get()));
  auto unpacked = read_file(path() / "out" / "uploads" / "a.txt");
  ASSERT_TRUE(unpacked);
  EXPECT_EQ(*unpacked, "hello");
  EXPECT_EQ(fs::status(path() / "out" / "uploads" / "a.txt").permissions(), fs::perms(0640));
  EXPECT_FALSE(fs::exists(fs::symlink_status(path() / "out" / "uploads" / "passwd")));

  // GNU tar keeps a leading "../" with -P.
  std::ofstream(path() / "evil") << "x";
  ASSERT_TRUE(run_tar({"-C", (path() / "out").string(), "-P", "-cf", (path() / "evil.tar").string(),
                       "../evil"}));
  fs::create_directories(path() / "out2");
  auto out2 = open_dir(path() / "out2");
  ASSERT_TRUE(out2);
  Status refused = unpack_tar_beneath(path() / "evil.tar", out2->get());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("leads out of the tenant's directory"), std::string::npos);
}

TEST_F(TaskFiles, AStagedTreeKeptForItsTenantUntilRemoved) {
  LocalStaging staging;
  auto fresh = staging.fresh("sit/goldencrust");
  ASSERT_TRUE(fresh) << fresh.error().message;
  struct stat st {};
  ASSERT_EQ(::fstat(fresh->get(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);  // root's alone
  EXPECT_TRUE(staging.open("sit/goldencrust"));
  staging.remove("sit/goldencrust");
  auto gone = staging.open("sit/goldencrust");
  ASSERT_FALSE(gone);
  EXPECT_NE(gone.error().message.find("run it again"), std::string::npos);
}

}  // namespace
}  // namespace wpfleet::aws_backend
