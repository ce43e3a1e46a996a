// The verifier's REST routes, independent of the HTTP library: which
// method and path reach which VerifierService call, who may call it, and
// where it runs. docs/verifier.md documents the routes.
#pragma once

#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "service/status_error.hpp"
#include "service/verifier_service.hpp"

namespace drtm::service {

// Who is calling, from the client certificate: OU is the role ("agent",
// acting only for the node named by its CN, or "admin"), CN the node.
struct Caller {
    std::string role;
    std::string node;
};

enum class Access { any, node, admin };

// Where a route's work runs in an event-driven server: on the connection's
// event loop (CPU only, or a cached read), on threads that may block on the
// database, or as the asynchronous evidence submission.
enum class RunOn { loop, blocking_pool, evidence };

struct RouteMatch;
struct Route {
    std::string_view method;
    std::string_view pattern;  // "{name}" matches one node or policy name
    Access access;
    RunOn run;
    std::function<nlohmann::json(VerifierService&, const RouteMatch&)> work;  // not for evidence
};

struct RouteMatch {
    const Route* route = nullptr;
    std::string name;                          // what {name} matched
    std::map<std::string, std::string> query;  // decoded query parameters
    std::string body;
};

// The route for `method` and `target` (path and query), or nullopt: no such
// route. Throws RequestError(400) for a query that cannot be decoded.
std::optional<RouteMatch> match_route(std::string_view method, std::string_view target);

// Why `caller` may not use `match` (403), or nullopt when it may.
std::optional<RequestError> refusal_for(const RouteMatch& match, const Caller& caller);

struct HandlerOutcome {
    int status = 200;
    nlohmann::json body;
};
// Runs `work` and maps what it throws to a status and a JSON reason:
// RequestError its own, a storage failure 503, anything else 500 (logged
// with `context`, not sent).
HandlerOutcome run_handler(const std::function<nlohmann::json()>& work, std::string_view context);

}  // namespace drtm::service
