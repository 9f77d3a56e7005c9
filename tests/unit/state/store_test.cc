#include "state/store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace wpfleet {
namespace {

namespace fs = std::filesystem;

class StoreTest : public testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/wpfleet-store-test-XXXXXX";
    ASSERT_NE(::mkdtemp(pattern), nullptr);
    dir_ = pattern;
    db_path_ = dir_ / "state.db";
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<StateStore> open_store() {
    auto store = StateStore::open(db_path_);
    EXPECT_TRUE(store.ok()) << store.error().message;
    return store.ok() ? std::move(store).value() : nullptr;
  }

  // Runs SQL on a separate connection, as another process would, and returns the first
  // column of the first row.
  std::string query_directly(const std::string& sql) {
    sqlite3* db = nullptr;
    EXPECT_EQ(sqlite3_open(db_path_.c_str(), &db), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    EXPECT_EQ(sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr), SQLITE_OK)
        << sqlite3_errmsg(db);
    std::string first;
    if (sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      first = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return first;
  }

  static ResourceRecord resource(std::string env, std::string tenant, std::string kind,
                                 std::string fingerprint = "fp") {
    return {std::move(env),         std::move(tenant), std::move(kind),
            std::move(fingerprint), R"({"id":1})",     1700000000};
  }

  fs::path dir_;
  fs::path db_path_;
};

TEST_F(StoreTest, CreatesAPrivateDatabaseInWalMode) {
  mode_t old_umask = ::umask(0);
  auto store = open_store();
  ::umask(old_umask);
  ASSERT_NE(store, nullptr);
  struct stat st;
  ASSERT_EQ(::stat(db_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_EQ(query_directly("PRAGMA journal_mode"), "wal");
  EXPECT_GE(store->schema_version(), 1);
}

TEST_F(StoreTest, MigrationsAreAppliedOnceAndReopeningKeepsData) {
  int version = 0;
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    version = store->schema_version();
    ASSERT_TRUE(store->record_resource(resource("prod", "blog", "database")).ok());
  }
  auto reopened = open_store();
  ASSERT_NE(reopened, nullptr);
  EXPECT_EQ(reopened->schema_version(), version);
  EXPECT_EQ(query_directly("SELECT count(*) FROM schema_version"), "1");
  EXPECT_EQ(reopened->resources()->size(), 1u);
}

TEST_F(StoreTest, RefusesASchemaNewerThanItKnows) {
  { ASSERT_NE(open_store(), nullptr); }
  query_directly("UPDATE schema_version SET version = 999");
  auto store = StateStore::open(db_path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(db_path_.string()), std::string::npos);
  EXPECT_NE(store.error().message.find("upgrade wpfleet"), std::string::npos)
      << store.error().message;
}

TEST_F(StoreTest, RefusesAFileThatIsNotADatabase) {
  std::ofstream(db_path_) << std::string(4096, 'x');
  auto store = StateStore::open(db_path_);
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find(db_path_.string()), std::string::npos)
      << store.error().message;
}

TEST_F(StoreTest, MissingDirectoryIsAnError) {
  auto store = StateStore::open(dir_ / "absent" / "state.db");
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("absent"), std::string::npos);
}

TEST_F(StoreTest, ResourcesAreInsertedReplacedAndForgotten) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->record_resource(resource("prod", "blog", "database", "v1")).ok());
  ASSERT_TRUE(store->record_resource(resource("prod", "blog", "runtime")).ok());
  ASSERT_TRUE(store->record_resource(resource("prod", "shop", "database")).ok());
  ASSERT_TRUE(store->record_resource(resource("staging", "blog", "database")).ok());
  ASSERT_TRUE(store->record_resource(resource("prod", "blog", "database", "v2")).ok());

  auto all = store->resources();
  ASSERT_TRUE(all.ok()) << all.error().message;
  ASSERT_EQ(all->size(), 4u);
  const ResourceRecord& first = all->front();
  EXPECT_EQ(first.env, "prod");
  EXPECT_EQ(first.tenant, "blog");
  EXPECT_EQ(first.kind, "database");
  EXPECT_EQ(first.fingerprint, "v2") << "recording again replaces";
  EXPECT_EQ(first.detail, R"({"id":1})");
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  EXPECT_NEAR(static_cast<double>(first.applied_at), static_cast<double>(now), 60)
      << "the store records when it was applied";
  EXPECT_EQ(store->resources("staging")->size(), 1u);

  EXPECT_TRUE(*store->has_resource("prod", "blog", "runtime"));
  ASSERT_TRUE(store->forget_resource("prod", "blog", "runtime").ok());
  EXPECT_FALSE(*store->has_resource("prod", "blog", "runtime"));
  EXPECT_FALSE(*store->has_resource("staging", "blog", "runtime")) << "per environment";
  EXPECT_EQ(store->resources("prod")->size(), 2u);
  ASSERT_TRUE(store->forget_tenant("prod", "blog").ok());
  auto prod = store->resources("prod");
  ASSERT_EQ(prod->size(), 1u);
  EXPECT_EQ(prod->front().tenant, "shop");
  EXPECT_EQ(store->resources("staging")->size(), 1u) << "other environments untouched";
}

TEST_F(StoreTest, ValuesAreBoundNotSpliced) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  std::string hostile = "x'); DROP TABLE resources; --";
  ASSERT_TRUE(store->record_resource(resource("prod", hostile, "database")).ok());
  auto all = store->resources();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ(all->front().tenant, hostile);
}

TEST_F(StoreTest, JournalTracksUnfinishedOperations) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto apply = store->journal_begin("apply", "prod", "blog");
  auto remove = store->journal_begin("delete", "prod", "shop");
  ASSERT_TRUE(apply.ok() && remove.ok());
  EXPECT_NE(*apply, *remove);
  ASSERT_TRUE(store->journal_step(*apply, "database").ok());
  ASSERT_TRUE(store->journal_step(*apply, "runtime").ok());
  ASSERT_TRUE(store->journal_finish(*remove).ok());

  auto unfinished = store->unfinished_operations();
  ASSERT_TRUE(unfinished.ok()) << unfinished.error().message;
  ASSERT_EQ(unfinished->size(), 1u);
  const JournalEntry& entry = unfinished->front();
  EXPECT_EQ(entry.id, *apply);
  EXPECT_EQ(entry.operation, "apply");
  EXPECT_EQ(entry.env, "prod");
  EXPECT_EQ(entry.tenant, "blog");
  EXPECT_EQ(entry.step, "runtime");
  EXPECT_GT(entry.started_at, 1600000000);

  ASSERT_TRUE(store->journal_finish(*apply).ok());
  EXPECT_TRUE(store->unfinished_operations()->empty());
}

TEST_F(StoreTest, JournalSurvivesReopening) {
  std::int64_t id = 0;
  {
    auto store = open_store();
    ASSERT_NE(store, nullptr);
    id = *store->journal_begin("apply", "prod", "blog");
    ASSERT_TRUE(store->journal_step(id, "files").ok());
  }
  auto unfinished = open_store()->unfinished_operations();
  ASSERT_EQ(unfinished->size(), 1u);
  EXPECT_EQ(unfinished->front().id, id);
  EXPECT_EQ(unfinished->front().step, "files");
}

TEST_F(StoreTest, UnknownJournalEntryIsAnError) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  EXPECT_FALSE(store->journal_step(42, "database").ok());
  EXPECT_FALSE(store->journal_finish(42).ok());
}

TEST_F(StoreTest, SecretRowsArePutReadListedAndDeletedByScope) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  Bytes first{1, 2, 3};
  Bytes second{4, 5, 6, 0, 7};
  ASSERT_TRUE(store->put_secret_row("prod/blog", "db_password", first).ok());
  ASSERT_TRUE(store->put_secret_row("prod/blog", "auth_key", first).ok());
  ASSERT_TRUE(store->put_secret_row("prod/blog", "db_password", second).ok());
  ASSERT_TRUE(store->put_secret_row("prod/shop", "db_password", first).ok());

  auto row = store->get_secret_row("prod/blog", "db_password");
  ASSERT_TRUE(row.ok()) << row.error().message;
  ASSERT_TRUE(row->has_value());
  EXPECT_EQ(**row, second);
  EXPECT_FALSE(store->get_secret_row("prod/blog", "missing")->has_value());
  EXPECT_EQ(*store->secret_names("prod/blog"),
            (std::vector<std::string>{"auth_key", "db_password"}));

  ASSERT_TRUE(store->delete_secret_scope("prod/blog").ok());
  EXPECT_TRUE(store->secret_names("prod/blog")->empty());
  EXPECT_EQ(store->secret_names("prod/shop")->size(), 1u);
}

TEST_F(StoreTest, EmptySecretRowIsNotNull) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(store->put_secret_row("platform", "empty", Bytes{}).ok());
  auto row = store->get_secret_row("platform", "empty");
  ASSERT_TRUE(row.ok()) << row.error().message;
  ASSERT_TRUE(row->has_value());
  EXPECT_TRUE((*row)->empty());
}

TEST_F(StoreTest, PutIfAbsentKeepsTheFirstRow) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  auto inserted = store->put_secret_row_if_absent("platform", "root", Bytes{1});
  ASSERT_TRUE(inserted.ok());
  EXPECT_TRUE(*inserted);
  auto again = store->put_secret_row_if_absent("platform", "root", Bytes{2});
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again);
  EXPECT_EQ(**store->get_secret_row("platform", "root"), Bytes{1});
}

TEST_F(StoreTest, ConcurrentCallsAreSerialised) {
  auto store = open_store();
  ASSERT_NE(store, nullptr);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&store, t] {
      for (int i = 0; i < 50; ++i) {
        std::string tenant = "t" + std::to_string(t) + "-" + std::to_string(i);
        EXPECT_TRUE(store->record_resource(resource("prod", tenant, "database")).ok());
        auto id = store->journal_begin("apply", "prod", tenant);
        EXPECT_TRUE(id.ok() && store->journal_finish(*id).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(store->resources()->size(), 200u);
  EXPECT_TRUE(store->unfinished_operations()->empty());
}

}  // namespace
}  // namespace wpfleet

namespace wpfleet {
namespace {

TEST(RoutePriorities, AllocatedOnceLowestFreeAndNeverShared) {
  char dir_template[] = "/tmp/wpfleet-prio-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  auto store = StateStore::open(dir / "state.db");
  ASSERT_TRUE(store.ok());
  StateStore& s = **store;
  EXPECT_EQ(*s.route_priority("sit", "goldencrust"), 10);
  EXPECT_EQ(*s.route_priority("sit", "tenant1"), 20);
  EXPECT_EQ(*s.route_priority("sit", "goldencrust"), 10);  // stable
  EXPECT_EQ(*s.route_priority("dev", "goldencrust"), 10);  // per environment
  ASSERT_TRUE(s.release_route_priority("sit", "goldencrust").ok());
  EXPECT_EQ(*s.route_priority("sit", "sunsetbistro"), 10);  // the freed one is reused
  EXPECT_EQ(*s.route_priority("sit", "sterlinglaw"), 30);
  auto all = s.route_priorities("sit");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 3u);
  EXPECT_EQ(all->at("tenant1"), 20);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wpfleet

namespace wpfleet {
namespace {

TEST(OperationsAndSnapshots, AreRecordedUpdatedAndListedNewestFirst) {
  char dir_template[] = "/tmp/wpfleet-ops-XXXXXX";
  const std::filesystem::path dir = mkdtemp(dir_template);
  auto store = StateStore::open(dir / "state.db");
  ASSERT_TRUE(store.ok());
  StateStore& s = **store;
  OperationRecord op{"op-1", "promote", "goldencrust", "dev", "sit", "", "running", "export", "", "", 100, 0};
  ASSERT_TRUE(s.record_operation(op).ok());
  op.step = "swapping";
  op.swap = R"({"database":true})";  // what an interrupted swap must undo
  ASSERT_TRUE(s.record_operation(op).ok());
  EXPECT_EQ(s.operations("op-1")->at(0).swap, op.swap);
  EXPECT_EQ(s.operations("op-1")->at(0).step, "swapping");
  op.status = "succeeded";
  op.finished_at = 160;
  ASSERT_TRUE(s.record_operation(op).ok());
  ASSERT_TRUE(s.record_operation({"op-2", "import", "tenant1", "", "dev", "snap-1", "failed",
                                  "verify", "home page 500", "", 200, 210}).ok());
  auto all = s.operations();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ(all->at(0).id, "op-2");
  EXPECT_EQ(all->at(1).status, "succeeded");
  EXPECT_EQ(all->at(1).finished_at, 160);
  EXPECT_EQ(s.operations("op-2")->at(0).error, "home page 500");
  EXPECT_TRUE(s.operations("op-9")->empty());

  ASSERT_TRUE(s.record_snapshot({"snap-1", "sit", "goldencrust", "/x/1.tar", "f1", "manual", 10, 300}).ok());
  ASSERT_TRUE(s.record_snapshot({"snap-2", "sit", "goldencrust", "/x/2.tar", "f2", "before op-1", 20, 400}).ok());
  auto snaps = s.snapshots("sit", "goldencrust");
  ASSERT_TRUE(snaps.ok());
  ASSERT_EQ(snaps->size(), 2u);
  EXPECT_EQ(snaps->front().id, "snap-2");
  EXPECT_EQ((*s.snapshot("snap-1"))->path, "/x/1.tar");
  ASSERT_TRUE(s.forget_snapshot("snap-1").ok());
  EXPECT_FALSE(s.snapshot("snap-1")->has_value());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace wpfleet
