// A JSON document as an editable tree for tests that mutate real documents (a Django plan):
// objects keep their keys in order and may hold a key twice, which is what a test of duplicate
// keys needs and what simdjson's DOM, being read-only, cannot give.
#pragma once

#include <fmt/format.h>
#include <simdjson.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace sm::test {

struct Json {
  enum class Kind { Null, Bool, Int, Double, String, Array, Object };
  Kind kind = Kind::Null;
  bool b = false;
  int64_t i = 0;
  double d = 0;
  std::string s;
  std::vector<Json> items;                           // Array
  std::vector<std::pair<std::string, Json>> fields;  // Object, in order

  static Json parse(const std::string& text) {
    simdjson::dom::parser parser;
    simdjson::padded_string padded(text);
    return from(parser.parse(padded).value());
  }

  static Json from(simdjson::dom::element e) {
    Json j;
    switch (e.type()) {
      case simdjson::dom::element_type::NULL_VALUE: break;
      case simdjson::dom::element_type::BOOL: j.kind = Kind::Bool, j.b = e.get_bool().value(); break;
      case simdjson::dom::element_type::INT64: j.kind = Kind::Int, j.i = e.get_int64().value(); break;
      case simdjson::dom::element_type::UINT64:
        j.kind = Kind::Int, j.i = static_cast<int64_t>(e.get_uint64().value());
        break;
      case simdjson::dom::element_type::DOUBLE: j.kind = Kind::Double, j.d = e.get_double().value(); break;
      case simdjson::dom::element_type::STRING: j.kind = Kind::String, j.s = e.get_string().value(); break;
      case simdjson::dom::element_type::ARRAY: {
        j.kind = Kind::Array;
        simdjson::dom::array arr = e.get_array().value();
        for (simdjson::dom::element x : arr) j.items.push_back(from(x));
        break;
      }
      case simdjson::dom::element_type::OBJECT: {
        j.kind = Kind::Object;
        simdjson::dom::object obj = e.get_object().value();
        for (auto kv : obj) j.fields.emplace_back(std::string(kv.key), from(kv.value));
        break;
      }
    }
    return j;
  }

  static std::string quote(const std::string& s) {
    std::string out = "\"";
    for (unsigned char c : s) {
      if (c == '"' || c == '\\') {
        out += '\\';
        out += static_cast<char>(c);
      } else if (c < 0x20) {
        out += fmt::format("\\u{:04x}", c);
      } else {
        out += static_cast<char>(c);
      }
    }
    return out + "\"";
  }

  // One key or item per line, so that a line number names one place.
  std::string dump(int indent = 0) const {
    std::string pad(static_cast<size_t>(indent + 2), ' '), end(static_cast<size_t>(indent), ' ');
    switch (kind) {
      case Kind::Null: return "null";
      case Kind::Bool: return b ? "true" : "false";
      case Kind::Int: return std::to_string(i);
      case Kind::Double: return fmt::format("{}", d);
      case Kind::String: return quote(s);
      case Kind::Array: {
        if (items.empty()) return "[]";
        std::string out = "[\n";
        for (size_t k = 0; k < items.size(); ++k)
          out += pad + items[k].dump(indent + 2) + (k + 1 < items.size() ? ",\n" : "\n");
        return out + end + "]";
      }
      case Kind::Object: {
        if (fields.empty()) return "{}";
        std::string out = "{\n";
        for (size_t k = 0; k < fields.size(); ++k)
          out += pad + quote(fields[k].first) + ": " + fields[k].second.dump(indent + 2) +
                 (k + 1 < fields.size() ? ",\n" : "\n");
        return out + end + "}";
      }
    }
    return "null";
  }

  // Every value below this one with its path as the plan reader names it
  // (`migrations[0].operations[2].line`), parents before children.
  void walk(const std::function<void(const std::string& path, Json& value)>& visit,
            const std::string& path = "") {
    for (size_t k = 0; k < items.size(); ++k) {
      std::string p = path + "[" + std::to_string(k) + "]";
      visit(p, items[k]);
      items[k].walk(visit, p);
    }
    for (auto& [key, value] : fields) {
      std::string p = path.empty() ? key : path + "." + key;
      visit(p, value);
      value.walk(visit, p);
    }
  }
};

}  // namespace sm::test
