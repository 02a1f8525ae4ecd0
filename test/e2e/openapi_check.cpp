#include "e2e/openapi_check.hpp"

#include <algorithm>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>

namespace attune::testing {

using nlohmann::json;

namespace {

struct Line {
  int indent = 0;
  std::string text;
  int number = 0;
};

std::string Trim(const std::string& s) {
  auto b = s.find_first_not_of(' ');
  if (b == std::string::npos) return "";
  auto e = s.find_last_not_of(' ');
  return s.substr(b, e - b + 1);
}

json Scalar(const std::string& raw, int line) {
  std::string s = Trim(raw);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') {
    std::string out;
    for (std::size_t i = 1; i + 1 < s.size(); ++i) {
      if (s[i] == '\\' && i + 2 < s.size()) ++i;
      out += s[i];
    }
    return out;
  }
  if (s == "[]") return json::array();
  if (s == "{}") return json::object();
  if (!s.empty() && s.front() == '[') {
    if (s.back() != ']') throw std::runtime_error("line " + std::to_string(line) + ": unterminated flow list");
    json list = json::array();
    std::string inner = s.substr(1, s.size() - 2), item;
    bool quoted = false;
    for (char c : inner) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) {
        list.push_back(Scalar(item, line));
        item.clear();
      } else {
        item += c;
      }
    }
    if (!Trim(item).empty()) list.push_back(Scalar(item, line));
    return list;
  }
  // As YAML reads a plain (unquoted) scalar: ": " inside it, a ":" at its end or " #" would start a
  // mapping or a comment there, which a YAML parser refuses or cuts, so the text is not the value.
  if (!s.empty() && s.front() != '"' &&
      (s.find(": ") != std::string::npos || s.back() == ':' || s.find(" #") != std::string::npos)) {
    throw std::runtime_error("line " + std::to_string(line) + ": plain scalar \"" + s +
                             "\" holds \": \", a final \":\" or \" #\"; quote it");
  }
  if (s == "true") return true;
  if (s == "false") return false;
  if (!s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return std::stoll(s);
  }
  return s;
}

class Parser {
 public:
  explicit Parser(std::vector<Line> lines) : lines_(std::move(lines)) {}
  json Document() {
    if (lines_.empty()) return json::object();
    return Block(lines_[0].indent);
  }

 private:
  json Block(int indent) {
    if (lines_[pos_].text.rfind("- ", 0) == 0 || lines_[pos_].text == "-") return Sequence(indent);
    return Mapping(indent);
  }
  json Mapping(int indent) {
    json map = json::object();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && lines_[pos_].text.rfind("- ", 0) != 0) {
      const Line& line = lines_[pos_];
      std::string key, rest;
      std::size_t colon = line.text.find(": ");
      if (colon != std::string::npos) {
        key = line.text.substr(0, colon);
        rest = line.text.substr(colon + 2);
      } else if (line.text.back() == ':') {
        key = line.text.substr(0, line.text.size() - 1);
      } else {
        throw std::runtime_error("line " + std::to_string(line.number) + ": expected 'key: value'");
      }
      json k = Scalar(key, line.number);
      std::string name = k.is_string() ? k.get<std::string>() : k.dump();
      if (map.contains(name)) throw std::runtime_error("line " + std::to_string(line.number) + ": duplicate key " + name);
      ++pos_;
      if (!Trim(rest).empty()) {
        map[name] = Scalar(rest, line.number);
      } else if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
        map[name] = Block(lines_[pos_].indent);
      } else {
        map[name] = nullptr;
      }
    }
    if (pos_ < lines_.size() && lines_[pos_].indent > indent) {
      throw std::runtime_error("line " + std::to_string(lines_[pos_].number) + ": unexpected indentation");
    }
    return map;
  }
  json Sequence(int indent) {
    json list = json::array();
    while (pos_ < lines_.size() && lines_[pos_].indent == indent && lines_[pos_].text.rfind("- ", 0) == 0) {
      Line& line = lines_[pos_];
      std::string rest = line.text.substr(2);
      if (rest.find(": ") != std::string::npos || (!rest.empty() && rest.back() == ':')) {
        // "- key: value" opens a mapping whose keys sit at indent + 2.
        line.indent = indent + 2;
        line.text = rest;
        list.push_back(Mapping(indent + 2));
      } else {
        ++pos_;
        list.push_back(Scalar(rest, line.number));
      }
    }
    return list;
  }

  std::vector<Line> lines_;
  std::size_t pos_ = 0;
};

const json& Resolve(const json& spec, const json& node) {
  if (!node.is_object() || !node.contains("$ref")) return node;
  std::string ref = node["$ref"].get<std::string>();
  if (ref.rfind("#/", 0) != 0) throw std::runtime_error("unsupported $ref " + ref);
  return Resolve(spec, spec.at(json::json_pointer(ref.substr(1))));
}

bool HasType(const json& value, const std::string& type) {
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "string") return value.is_string();
  if (type == "boolean") return value.is_boolean();
  if (type == "array") return value.is_array();
  if (type == "object") return value.is_object();
  if (type == "null") return value.is_null();
  return false;
}

}  // namespace

json ParseYamlSubset(const std::string& text) {
  std::vector<Line> lines;
  std::istringstream in(text);
  std::string raw;
  int number = 0;
  while (std::getline(in, raw)) {
    ++number;
    if (raw.find('\t') != std::string::npos) throw std::runtime_error("line " + std::to_string(number) + ": tab");
    std::string t = Trim(raw);
    if (t.empty() || t[0] == '#') continue;
    int indent = static_cast<int>(raw.find_first_not_of(' '));
    lines.push_back({indent, t, number});
  }
  return Parser(std::move(lines)).Document();
}

const json& OpenApiSpec() {
  static const json spec = [] {
    std::ifstream in(std::string(ATTUNE_SOURCE_DIR) + "/docs/openapi.yaml");
    std::stringstream text;
    text << in.rdbuf();
    return ParseYamlSubset(text.str());
  }();
  return spec;
}

std::string SpecPathFor(const json& spec, const std::string& path) {
  std::string bare = path.substr(0, path.find('?'));
  for (const auto& [tmpl, _] : spec["paths"].items()) {
    std::string pattern = std::regex_replace(tmpl, std::regex(R"(\{[^}]+\})"), "[^/]+");
    if (std::regex_match(bare, std::regex(pattern))) return tmpl;
  }
  return "";
}

void ValidateSchema(const json& spec, const json& schema_node, const json& value, const std::string& where,
                    std::vector<std::string>& problems) {
  const json& schema = Resolve(spec, schema_node);
  if (schema.contains("type")) {
    std::vector<std::string> types;
    if (schema["type"].is_array()) {
      for (const auto& t : schema["type"]) types.push_back(t.get<std::string>());
    } else {
      types.push_back(schema["type"].get<std::string>());
    }
    if (std::none_of(types.begin(), types.end(), [&](const std::string& t) { return HasType(value, t); })) {
      problems.push_back(where + ": " + value.dump().substr(0, 60) + " is not of type " + json(types).dump());
      return;
    }
  }
  if (schema.contains("enum")) {
    bool found = false;
    for (const auto& e : schema["enum"]) {
      if (e == value || (e.is_string() && value.is_string() && e.get<std::string>() == value.get<std::string>())) found = true;
    }
    if (!found) problems.push_back(where + ": " + value.dump() + " is not one of " + schema["enum"].dump());
  }
  if (value.is_object()) {
    if (schema.contains("required")) {
      for (const auto& r : schema["required"]) {
        if (!value.contains(r.get<std::string>())) problems.push_back(where + ": missing required " + r.get<std::string>());
      }
    }
    for (const auto& [k, v] : value.items()) {
      if (schema.contains("properties") && schema["properties"].contains(k)) {
        ValidateSchema(spec, schema["properties"][k], v, where + "." + k, problems);
      } else if (schema.contains("additionalProperties") && schema["additionalProperties"].is_object()) {
        ValidateSchema(spec, schema["additionalProperties"], v, where + "." + k, problems);
      }
    }
  }
  if (value.is_array() && schema.contains("items")) {
    for (std::size_t i = 0; i < value.size(); ++i) {
      ValidateSchema(spec, schema["items"], value[i], where + "[" + std::to_string(i) + "]", problems);
    }
  }
}

std::vector<std::string> CheckResponse(const json& spec, const std::string& method, const std::string& path,
                                       int status, const std::string& content_type, const std::string& body) {
  std::vector<std::string> problems;
  std::string where = method + " " + path + " -> " + std::to_string(status);
  std::string tmpl = SpecPathFor(spec, path);
  if (tmpl.empty()) return {where + ": path not in openapi.yaml"};
  std::string m = method;
  std::transform(m.begin(), m.end(), m.begin(), ::tolower);
  const json& item = spec["paths"][tmpl];
  if (!item.contains(m)) return {where + ": method not in openapi.yaml for " + tmpl};
  const json& responses = item[m]["responses"];
  std::string code = std::to_string(status);
  if (!responses.contains(code)) {
    // 401 applies to every authenticated route; 413/429/503 to every route (docs/api.md).
    if (status == 401 || status == 413 || status == 503) return problems;
    return {where + ": status not documented for " + m + " " + tmpl};
  }
  const json& response = Resolve(spec, responses[code]);
  if (!response.contains("content")) {
    if (!body.empty()) problems.push_back(where + ": body present but none documented");
    return problems;
  }
  std::string type = content_type.substr(0, content_type.find(';'));
  if (!response["content"].contains(type)) return {where + ": content type " + type + " not documented"};
  const json& schema = response["content"][type]["schema"];
  if (type.find("json") != std::string::npos && !(Resolve(spec, schema).value("type", json()) == "string")) {
    auto parsed = json::parse(body, nullptr, false);
    if (parsed.is_discarded()) return {where + ": body is not JSON"};
    ValidateSchema(spec, schema, parsed, where + " $", problems);
  }
  return problems;
}

}  // namespace attune::testing
