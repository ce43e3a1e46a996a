// The verifier's TLS session cache: found by ID, replaced by ID, erased,
// and the oldest entry dropped when full; every session it held is freed
// (the ASan build checks that nothing leaks or is freed twice).
#include "service/tls_session_cache.hpp"

#include <gtest/gtest.h>

using drtm::service::TlsSessionCache;

namespace {

SSL_SESSION* session_with_id(const std::string& id) {
    SSL_SESSION* s = SSL_SESSION_new();
    SSL_SESSION_set1_id(s, reinterpret_cast<const unsigned char*>(id.data()),
                        static_cast<unsigned int>(id.size()));
    return s;
}

}  // namespace

TEST(TlsSessionCache, FindsReplacesAndErases) {
    TlsSessionCache cache(10);
    SSL_SESSION* a = session_with_id("a");
    cache.insert("a", a);
    EXPECT_EQ(cache.find("a"), a);
    EXPECT_EQ(cache.find("b"), nullptr);
    SSL_SESSION* a2 = session_with_id("a");
    cache.insert("a", a2);  // the old one is freed
    EXPECT_EQ(cache.find("a"), a2);
    EXPECT_EQ(cache.size(), 1u);
    cache.erase("a");
    cache.erase("never there");
    EXPECT_EQ(cache.find("a"), nullptr);
    EXPECT_EQ(cache.size(), 0u);
}

TEST(TlsSessionCache, TheOldestGoesWhenFull) {
    TlsSessionCache cache(3);
    for (const char* id : {"1", "2", "3", "4"}) cache.insert(id, session_with_id(id));
    EXPECT_EQ(cache.size(), 3u);
    EXPECT_EQ(cache.find("1"), nullptr);
    EXPECT_NE(cache.find("2"), nullptr);
    // Replacing "2" makes it the newest: "3" goes next.
    cache.insert("2", session_with_id("2"));
    cache.insert("5", session_with_id("5"));
    EXPECT_EQ(cache.find("3"), nullptr);
    EXPECT_NE(cache.find("2"), nullptr);
    EXPECT_NE(cache.find("4"), nullptr);
    EXPECT_NE(cache.find("5"), nullptr);
}

TEST(TlsSessionCache, NoCapacityKeepsNothing) {
    TlsSessionCache cache(0);
    cache.insert("a", session_with_id("a"));
    EXPECT_EQ(cache.size(), 0u);
}

// All sessions share one lifetime, so they expire in the order they came.
TEST(TlsSessionCache, ExpiredSessionsGoOldestFirst) {
    TlsSessionCache cache(10);
    auto timed = [](const std::string& id, long issued) {
        SSL_SESSION* s = session_with_id(id);
        SSL_SESSION_set_time(s, issued);
        SSL_SESSION_set_timeout(s, 100);
        return s;
    };
    cache.insert("early", timed("early", 1000));
    cache.insert("late", timed("late", 1050));
    cache.drop_expired(1100);  // "early" lives until 1100 inclusive
    EXPECT_EQ(cache.size(), 2u);
    cache.drop_expired(1101);
    EXPECT_EQ(cache.find("early"), nullptr);
    EXPECT_NE(cache.find("late"), nullptr);
    cache.drop_expired(5000);
    EXPECT_EQ(cache.size(), 0u);
}
