// The storage conformance suite on SQLite, plus what only SQLite has: the
// file it creates and the URL forms that name it.
#include <unistd.h>

#include <filesystem>

#include "support/store_conformance.hpp"

namespace fs = std::filesystem;

std::unique_ptr<drtm::service::Database> open_conformance_database(const std::string&) {
    static int counter = 0;
    auto path = fs::temp_directory_path() / ("drtm-store-" + std::to_string(::getpid()) + "-" +
                                             std::to_string(++counter) + ".db");
    for (const char* suffix : {"", "-wal", "-shm"}) fs::remove(path.string() + suffix);
    return drtm::service::Database::open("sqlite:" + path.string(), 4);
}

INSTANTIATE_TEST_SUITE_P(Sqlite, StoreConformance, ::testing::Values("sqlite"));

TEST(SqliteDatabase, APlainPathAndSqliteUrlsNameTheSameFile) {
    auto path = fs::temp_directory_path() / ("drtm-url-" + std::to_string(::getpid()) + ".db");
    fs::remove(path);
    {
        auto db = drtm::service::Database::open(path.string());
        drtm::service::VerifierStore s(*db);
        drtm::service::NodeRecord n;
        n.name = "x";
        s.enroll(n);
    }
    auto db = drtm::service::Database::open("sqlite://" + path.string());
    EXPECT_EQ(db->backend(), "sqlite");
    EXPECT_EQ(drtm::service::VerifierStore(*db).node_count(), 1);
    fs::remove(path);
}

TEST(SqliteDatabase, AnUnopenablePathIsNamedInTheError) {
    try {
        drtm::service::Database::open("sqlite:/nonexistent-dir/x.db");
        FAIL();
    } catch (const drtm::service::DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent-dir/x.db"), std::string::npos);
    }
}
