// The storage conformance suite on a real PostgreSQL server (started by the
// fixture), so SQLite and PostgreSQL are held to the same behaviour.
#include "support/postgres_server.hpp"
#include "support/store_conformance.hpp"

std::unique_ptr<drtm::service::Database> open_conformance_database(const std::string&) {
    return drtm::service::Database::open(testsupport::PostgresServer::instance().new_database(), 4);
}

INSTANTIATE_TEST_SUITE_P(PostgreSql, StoreConformance, ::testing::Values("postgresql"));

TEST(PostgreSqlDatabase, AnUnreachableServerIsAClearError) {
    try {
        drtm::service::Database::open("postgresql:///x?host=/nonexistent-socket-dir&user=postgres");
        FAIL();
    } catch (const drtm::service::DatabaseError& e) {
        EXPECT_NE(std::string(e.what()).find("PostgreSQL"), std::string::npos) << e.what();
    }
}
