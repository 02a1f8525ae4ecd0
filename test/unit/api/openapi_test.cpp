// docs/openapi.yaml and the server's routes agree both ways; the checker used by the e2e tests
// catches what it should; every ErrorCode maps to one status.
#include <gtest/gtest.h>

#include <set>

#include "attune/api/api.hpp"
#include "e2e/openapi_check.hpp"

namespace attune::testing {
namespace {

using nlohmann::json;

std::string Lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST(OpenApi, EveryRouteIsInTheSpec) {
  const auto& spec = OpenApiSpec();
  EXPECT_EQ(spec["openapi"], "3.1.0");
  for (const auto& route : api::Routes()) {
    ASSERT_TRUE(spec["paths"].contains(route.path)) << route.path << " is not in docs/openapi.yaml";
    const auto& item = spec["paths"][route.path];
    EXPECT_TRUE(item.contains(Lower(route.method))) << route.method << " " << route.path;
    if (!route.authenticated && item.contains(Lower(route.method))) {
      EXPECT_EQ(item[Lower(route.method)]["security"], json::array()) << route.path << " should say security: []";
    }
  }
}

// The answers the server gives before or besides a route's own: 401 on every authenticated route
// (45 of 49 listed none), 400 on every API route, 411 and 414 on every route, 413 where a body is read. Listed per
// operation, each a $ref to one shared components/responses entry.
TEST(OpenApi, EveryRouteListsTheServersOwnRefusals) {
  const auto& spec = OpenApiSpec();
  auto expect_ref = [](const json& op, const std::string& code, const std::string& name, const std::string& where) {
    ASSERT_TRUE(op["responses"].contains(code)) << where << " does not list " << code;
    EXPECT_EQ(op["responses"][code].value("$ref", ""), "#/components/responses/" + name) << where << " " << code;
  };
  for (const auto& route : api::Routes()) {
    const std::string where = route.method + " " + route.path;
    const auto& op = spec["paths"][route.path][Lower(route.method)];
    if (route.authenticated) expect_ref(op, "401", "Unauthenticated", where);
    // An unknown query parameter is 400 on every API route (CheckQuery).
    if (route.path.rfind("/api/", 0) == 0) {
      EXPECT_TRUE(op["responses"].contains("400")) << where << " does not list 400";
    }
    expect_ref(op, "411", "LengthRequired", where);
    expect_ref(op, "414", "UriTooLong", where);
    if (op.contains("requestBody")) expect_ref(op, "413", "PayloadTooLarge", where);
  }
}

// The server refuses a query parameter a route does not take (400 naming it): the routes' lists
// and the spec's query parameters are the same names.
TEST(OpenApi, EachRoutesQueryParametersAreTheSpecs) {
  const auto& spec = OpenApiSpec();
  for (const auto& route : api::Routes()) {
    const auto& op = spec["paths"][route.path][Lower(route.method)];
    std::set<std::string> documented;
    for (const auto& p : op.value("parameters", json::array())) {
      const json& param = p.contains("$ref") ? spec.at(json::json_pointer(p["$ref"].get<std::string>().substr(1))) : p;
      if (param.value("in", "") == "query") documented.insert(param["name"].get<std::string>());
    }
    EXPECT_EQ(std::set<std::string>(route.query.begin(), route.query.end()), documented)
        << route.method << " " << route.path;
  }
}

TEST(OpenApi, EveryOperationInTheSpecIsARoute) {
  std::set<std::string> routes;
  for (const auto& r : api::Routes()) routes.insert(Lower(r.method) + " " + r.path);
  for (const auto& [path, item] : OpenApiSpec()["paths"].items()) {
    for (const auto& [method, op] : item.items()) {
      EXPECT_TRUE(routes.count(method + " " + path)) << method << " " << path << " is documented but not served";
      EXPECT_TRUE(op.contains("responses")) << method << " " << path;
    }
  }
}

TEST(OpenApi, EveryRefResolves) {
  const auto& spec = OpenApiSpec();
  std::function<void(const json&)> walk = [&](const json& node) {
    if (node.is_object()) {
      if (node.contains("$ref")) {
        std::string ref = node["$ref"];
        EXPECT_TRUE(spec.contains(json::json_pointer(ref.substr(1)))) << ref;
      }
      for (const auto& [k, v] : node.items()) walk(v);
    } else if (node.is_array()) {
      for (const auto& v : node) walk(v);
    }
  };
  walk(spec);
}

TEST(OpenApi, YamlSubsetParses) {
  auto j = ParseYamlSubset(
      "# comment\na:\n  b: 1\n  c: \"x: y\"\n  d: [p, \"q\", 3]\nlist:\n  - one\n  - k: v\n    m: w\nempty: []\n");
  EXPECT_EQ(j["a"]["b"], 1);
  EXPECT_EQ(j["a"]["c"], "x: y");
  EXPECT_EQ(j["a"]["d"], json({"p", "q", 3}));
  EXPECT_EQ(j["list"][0], "one");
  EXPECT_EQ(j["list"][1]["m"], "w");
  EXPECT_EQ(j["empty"], json::array());
  EXPECT_THROW(ParseYamlSubset("a:\n  b: 1\n    c: 2\n"), std::runtime_error);
  EXPECT_THROW(ParseYamlSubset("a: 1\na: 2\n"), std::runtime_error);
  // YAML refuses a plain scalar holding ": " (docs/openapi.yaml had one that this parser took).
  EXPECT_THROW(ParseYamlSubset("a:\n  description: The setting: clients may choose\n"), std::runtime_error);
  EXPECT_EQ(ParseYamlSubset("a: \"The setting: clients\"\n")["a"], "The setting: clients");
}

TEST(OpenApi, CheckerCatchesNonConformingResponses) {
  const auto& spec = OpenApiSpec();
  json good = {{"id", 1}, {"episode_id", 1}, {"client_id", nullptr}, {"response_id", nullptr}, {"kind", "risk_item"}, {"severity", "urgent"},
               {"status", "open"}, {"detail", ""}, {"raised_at", "t"}, {"acknowledged_at", nullptr},
               {"resolved_at", nullptr}, {"evidence", json::object()}};
  EXPECT_TRUE(CheckResponse(spec, "POST", "/api/v1/alerts/3/resolve", 200, "application/json", good.dump()).empty());
  json bad = good;
  bad["severity"] = "loud";
  bad.erase("kind");
  bad["id"] = "3";
  auto problems = CheckResponse(spec, "POST", "/api/v1/alerts/3/resolve", 200, "application/json", bad.dump());
  EXPECT_EQ(problems.size(), 3u);
  EXPECT_FALSE(CheckResponse(spec, "GET", "/api/v1/nowhere", 200, "application/json", "{}").empty());
  EXPECT_FALSE(CheckResponse(spec, "DELETE", "/api/v1/alerts", 200, "application/json", "{}").empty());
  EXPECT_FALSE(CheckResponse(spec, "GET", "/api/v1/alerts", 418, "application/json", "{}").empty());
  json problem = {{"type", "x"}, {"title", "t"}, {"status", 403}, {"code", "not_permitted"}, {"detail", "d"}};
  EXPECT_TRUE(CheckResponse(spec, "GET", "/api/v1/alerts", 403, "application/problem+json", problem.dump()).empty());
}

TEST(ErrorMapping, EachCodeHasOneStatus) {
  EXPECT_EQ(api::StatusOf(ErrorCode::INVALID_ARGUMENT), 400);
  EXPECT_EQ(api::StatusOf(ErrorCode::UNAUTHENTICATED), 401);
  EXPECT_EQ(api::StatusOf(ErrorCode::NOT_PERMITTED), 403);
  EXPECT_EQ(api::StatusOf(ErrorCode::NOT_FOUND), 404);
  EXPECT_EQ(api::StatusOf(ErrorCode::ALREADY_EXISTS), 409);
  EXPECT_EQ(api::StatusOf(ErrorCode::CONFLICT), 409);
  EXPECT_EQ(api::StatusOf(ErrorCode::FAILED_PRECONDITION), 422);
  EXPECT_EQ(api::StatusOf(ErrorCode::RATE_LIMITED), 429);
  EXPECT_EQ(api::StatusOf(ErrorCode::IO), 503);
  EXPECT_EQ(api::StatusOf(ErrorCode::INTERNAL), 500);
}

}  // namespace
}  // namespace attune::testing
