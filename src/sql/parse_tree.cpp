#include "sql/parse_tree.h"

namespace sm::sql {

bool field(Node n, std::string_view key, Node& out) {
  simdjson::dom::object obj;
  if (n.get_object().get(obj) != simdjson::SUCCESS) return false;
  return obj.at_key(key).get(out) == simdjson::SUCCESS;
}

std::string_view str(Node n, std::string_view key) {
  Node v;
  std::string_view s;
  if (field(n, key, v) && v.get_string().get(s) == simdjson::SUCCESS) return s;
  return {};
}

int64_t integer(Node n, std::string_view key, int64_t fallback) {
  Node v;
  int64_t i;
  if (field(n, key, v) && v.get_int64().get(i) == simdjson::SUCCESS) return i;
  return fallback;
}

bool flag(Node n, std::string_view key) {
  Node v;
  bool b;
  return field(n, key, v) && v.get_bool().get(b) == simdjson::SUCCESS && b;
}

std::string_view node_type(Node n, Node& body) {
  simdjson::dom::object obj;
  if (n.get_object().get(obj) != simdjson::SUCCESS || obj.size() != 1) return {};
  for (auto kv : obj) {
    body = kv.value;
    return kv.key;
  }
  return {};
}

// A default-constructed dom::array cannot be iterated, so absent lists are this empty one.
static simdjson::dom::array empty_array() {
  static simdjson::dom::parser parser;
  static simdjson::dom::array empty = parser.parse("[]", 2).get_array().value();
  return empty;
}

simdjson::dom::array list(Node n, std::string_view key) {
  Node v;
  simdjson::dom::array a;
  if (field(n, key, v) && v.get_array().get(a) == simdjson::SUCCESS) return a;
  return empty_array();
}

std::string_view string_node(Node n) {
  Node body;
  if (node_type(n, body) == "String") return str(body, "sval");
  return {};
}

std::string last_name(simdjson::dom::array names) {
  std::string_view last;
  for (Node n : names) last = string_node(n);
  return std::string(last);
}

std::string dotted_name(simdjson::dom::array names) {
  std::string out;
  for (Node n : names) {
    if (!out.empty()) out += '.';
    out += string_node(n);
  }
  return out;
}

}  // namespace sm::sql
