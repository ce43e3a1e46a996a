#include "service/http_routes.hpp"

#include <array>
#include <iostream>
#include <vector>

#include "service/database.hpp"

namespace drtm::service {

namespace {
using nlohmann::json;

json parse_body(const RouteMatch& m) {
    try {
        return json::parse(m.body);
    } catch (const json::parse_error& e) {
        throw RequestError(400, "offset " + std::to_string(e.byte) + ": the body is not JSON");
    }
}

std::int64_t int_param(const RouteMatch& m, const char* key, std::int64_t fallback) {
    auto it = m.query.find(key);
    if (it == m.query.end()) return fallback;
    const auto& v = it->second;
    try {
        std::size_t used = 0;
        auto n = std::stoll(v, &used);
        if (used != v.size()) throw std::invalid_argument(v);
        return n;
    } catch (const std::exception&) {
        throw RequestError(400, std::string("'") + key + "' is not a number");
    }
}

std::string text_param(const RouteMatch& m, const char* key) {
    auto it = m.query.find(key);
    return it == m.query.end() ? std::string() : it->second;
}

const std::vector<Route>& routes() {
    static const std::vector<Route> table = {
        {"POST", "/v1/nodes/{name}/enrollment", Access::node, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch& m) {
             return s.begin_enrollment(m.name, parse_body(m));
         }},
        {"POST", "/v1/nodes/{name}/enrollment/answer", Access::node, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch& m) {
             return s.finish_enrollment(m.name, parse_body(m));
         }},
        // On the loop: a node cache hit and an HMAC (a miss reads one row).
        {"POST", "/v1/nodes/{name}/challenge", Access::node, RunOn::loop,
         [](VerifierService& s, const RouteMatch& m) { return s.challenge(m.name); }},
        {"POST", "/v1/nodes/{name}/evidence", Access::node, RunOn::evidence, nullptr},
        {"GET", "/v1/nodes/{name}/attestations", Access::node, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch& m) {
             return s.history(m.name, int_param(m, "limit", 20));
         }},
        {"PUT", "/v1/nodes/{name}/policy", Access::admin, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch& m) {
             return s.set_node_policy(m.name, parse_body(m));
         }},
        {"DELETE", "/v1/nodes/{name}", Access::admin, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch& m) { return s.remove_node(m.name); }},
        {"GET", "/v1/nodes", Access::admin, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch& m) {
             return s.nodes(text_param(m, "after"), int_param(m, "limit", 100));
         }},
        {"PUT", "/v1/policies/{name}", Access::admin, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch& m) { return s.put_policy(m.name, m.body); }},
        {"GET", "/v1/policies", Access::admin, RunOn::blocking_pool,
         [](VerifierService& s, const RouteMatch&) { return s.policies(); }},
        {"GET", "/v1/ear-key", Access::any, RunOn::loop,
         [](VerifierService& s, const RouteMatch&) {
             return json{{"pem", s.ear_public_key_pem()}};
         }},
        {"GET", "/v1/health", Access::any, RunOn::loop,
         [](VerifierService& s, const RouteMatch&) {
             auto batches = s.record_stats();
             return json{{"status", "ok"},
                         {"storage", s.store().database().backend()},
                         {"records",
                          {{"stored", batches.records},
                           {"transactions", batches.batches},
                           {"largest_batch", batches.largest_batch}}}};
         }},
    };
    return table;
}

// A name segment: 1-64 of [A-Za-z0-9._-]. "." and ".." match too, so that
// the service refuses them with its reason (400) rather than "no such route".
bool name_segment(std::string_view s) {
    return s == "." || s == ".." || valid_name(s);
}

// Matches `path` against `pattern` segment by segment; fills `name`.
bool path_matches(std::string_view pattern, std::string_view path, std::string& name) {
    for (;;) {
        auto p_end = pattern.find('/', 1);
        auto s_end = path.find('/', 1);
        auto p = pattern.substr(0, p_end);
        auto s = path.substr(0, s_end);
        if (p == "/{name}") {
            if (s.size() < 2 || !name_segment(s.substr(1))) return false;
            name = std::string(s.substr(1));
        } else if (p != s) {
            return false;
        }
        if (p_end == std::string_view::npos || s_end == std::string_view::npos)
            return p_end == s_end;
        pattern.remove_prefix(p_end);
        path.remove_prefix(s_end);
    }
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded decoding of one query key or value.
std::string url_decode(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '+') {
            out += ' ';
        } else if (s[i] == '%') {
            int hi = i + 2 < s.size() ? hex_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;
            if (lo < 0) throw RequestError(400, "the query has a malformed %-escape");
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

std::map<std::string, std::string> parse_query(std::string_view q) {
    std::map<std::string, std::string> out;
    while (!q.empty()) {
        auto amp = q.find('&');
        auto pair = q.substr(0, amp);
        if (!pair.empty()) {
            auto eq = pair.find('=');
            out[url_decode(pair.substr(0, eq))] =
                eq == std::string_view::npos ? std::string() : url_decode(pair.substr(eq + 1));
        }
        if (amp == std::string_view::npos) break;
        q.remove_prefix(amp + 1);
    }
    return out;
}
}  // namespace

std::optional<RouteMatch> match_route(std::string_view method, std::string_view target) {
    auto question = target.find('?');
    auto path = target.substr(0, question);
    for (const auto& route : routes()) {
        if (route.method != method) continue;
        RouteMatch m;
        if (!path_matches(route.pattern, path, m.name)) continue;
        m.route = &route;
        if (question != std::string_view::npos) m.query = parse_query(target.substr(question + 1));
        return m;
    }
    return std::nullopt;
}

std::optional<RequestError> refusal_for(const RouteMatch& match, const Caller& caller) {
    if (caller.role != "agent" && caller.role != "admin")
        return RequestError(403, "the client certificate has no drtm role (OU agent/admin)");
    if (match.route->access == Access::admin && caller.role != "admin")
        return RequestError(403, "this needs the admin credential");
    if (match.route->access == Access::node && caller.role == "agent" && match.name != caller.node)
        return RequestError(
            403, "an agent certificate for '" + caller.node + "' cannot act for another node");
    return std::nullopt;
}

HandlerOutcome run_handler(const std::function<json()>& work, std::string_view context) {
    try {
        return {200, work()};
    } catch (const RequestError& e) {
        return {e.status(), {{"error", e.what()}}};
    } catch (const DatabaseError& e) {
        std::cerr << "drtm verifier: storage: " << e.what() << "\n";
        return {503, {{"error", "storage unavailable"}}};
    } catch (const std::exception& e) {
        std::cerr << "drtm verifier: " << context << ": " << e.what() << "\n";
        return {500, {{"error", "internal error"}}};
    }
}

}  // namespace drtm::service
