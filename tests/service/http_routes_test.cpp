// The REST routes independent of the HTTP library: which method and path
// reach which call, what a name may be, how the query is decoded, who may
// call what, and how errors become statuses.
#include "service/http_routes.hpp"

#include <gtest/gtest.h>

#include "service/database.hpp"

using namespace drtm::service;
using nlohmann::json;

namespace {
std::string route_of(std::string_view method, std::string_view target) {
    auto m = match_route(method, target);
    return m ? std::string(m->route->pattern) + " " + m->name : "none";
}

TEST(HttpRoutes, EachMethodAndPathReachesItsRoute) {
    EXPECT_EQ(route_of("POST", "/v1/nodes/n1/evidence"), "/v1/nodes/{name}/evidence n1");
    EXPECT_EQ(route_of("POST", "/v1/nodes/n-1.a_b/challenge"),
              "/v1/nodes/{name}/challenge n-1.a_b");
    EXPECT_EQ(route_of("POST", "/v1/nodes/n1/enrollment"), "/v1/nodes/{name}/enrollment n1");
    EXPECT_EQ(route_of("POST", "/v1/nodes/n1/enrollment/answer"),
              "/v1/nodes/{name}/enrollment/answer n1");
    EXPECT_EQ(route_of("GET", "/v1/nodes/n1/attestations?limit=5"),
              "/v1/nodes/{name}/attestations n1");
    EXPECT_EQ(route_of("DELETE", "/v1/nodes/n1"), "/v1/nodes/{name} n1");
    EXPECT_EQ(route_of("GET", "/v1/nodes"), "/v1/nodes ");
    EXPECT_EQ(route_of("PUT", "/v1/policies/launch"), "/v1/policies/{name} launch");
    EXPECT_EQ(route_of("GET", "/v1/health"), "/v1/health ");
}

TEST(HttpRoutes, AnythingElseHasNoRoute) {
    EXPECT_EQ(route_of("GET", "/v1/nodes/n1/evidence"), "none");  // wrong method
    EXPECT_EQ(route_of("POST", "/v1/nodes/n1/evidence/"), "none");
    EXPECT_EQ(route_of("POST", "/v1/nodes//evidence"), "none");
    EXPECT_EQ(route_of("POST", "/v1/nodes/n1/evidence/more"), "none");
    EXPECT_EQ(route_of("POST", "/v1/nodes/a%2Fb/evidence"), "none");  // not decoded into a name
    EXPECT_EQ(route_of("POST", "/v1/nodes/n 1/evidence"), "none");
    EXPECT_EQ(route_of("POST", "/v1/nodes/" + std::string(65, 'a') + "/evidence"), "none");
    EXPECT_EQ(route_of("POST", "/v1/nodes/" + std::string(64, 'a') + "/evidence"),
              "/v1/nodes/{name}/evidence " + std::string(64, 'a'));
    EXPECT_EQ(route_of("GET", "/v1"), "none");
    EXPECT_EQ(route_of("GET", ""), "none");
    EXPECT_EQ(route_of("GET", "*"), "none");
}

TEST(HttpRoutes, TheQueryIsDecoded) {
    auto m = match_route("GET", "/v1/nodes?after=n%41+b&limit=7&flag&=x");
    ASSERT_TRUE(m);
    EXPECT_EQ(m->query.at("after"), "nA b");
    EXPECT_EQ(m->query.at("limit"), "7");
    EXPECT_EQ(m->query.at("flag"), "");
    try {
        match_route("GET", "/v1/nodes?after=%4");
        FAIL() << "a truncated escape was accepted";
    } catch (const RequestError& e) {
        EXPECT_EQ(e.status(), 400);
    }
    EXPECT_THROW(match_route("GET", "/v1/nodes?after=%zz"), RequestError);
}

TEST(HttpRoutes, CallersAreRefusedByRoleAndNode) {
    auto evidence = *match_route("POST", "/v1/nodes/n1/evidence");
    auto nodes = *match_route("GET", "/v1/nodes");
    auto health = *match_route("GET", "/v1/health");
    EXPECT_FALSE(refusal_for(evidence, {"agent", "n1"}));
    EXPECT_FALSE(refusal_for(evidence, {"admin", "admin"}));
    auto other = refusal_for(evidence, {"agent", "n2"});
    ASSERT_TRUE(other);
    EXPECT_EQ(other->status(), 403);
    EXPECT_NE(std::string(other->what()).find("another node"), std::string::npos);
    EXPECT_TRUE(refusal_for(nodes, {"agent", "n1"}));
    EXPECT_FALSE(refusal_for(nodes, {"admin", "admin"}));
    EXPECT_FALSE(refusal_for(health, {"agent", "n1"}));
    // A certificate of our CA without a drtm role gets nothing, not even health.
    EXPECT_TRUE(refusal_for(health, {"", "n1"}));
    EXPECT_TRUE(refusal_for(health, {"operator", "n1"}));
}

TEST(HttpRoutes, ErrorsBecomeStatusesWithoutInternalDetail) {
    auto ok = run_handler([] { return json{{"a", 1}}; }, "test");
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body["a"], 1);
    auto refused = run_handler([]() -> json { throw RequestError(409, "taken"); }, "test");
    EXPECT_EQ(refused.status, 409);
    EXPECT_EQ(refused.body["error"], "taken");
    auto storage = run_handler([]() -> json { throw DatabaseError("db password=secret"); }, "test");
    EXPECT_EQ(storage.status, 503);
    EXPECT_EQ(storage.body["error"], "storage unavailable");
    auto internal = run_handler([]() -> json { throw std::runtime_error("detail"); }, "test");
    EXPECT_EQ(internal.status, 500);
    EXPECT_EQ(internal.body["error"], "internal error");
}
}  // namespace
