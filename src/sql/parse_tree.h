// Small readers over libpg_query's JSON parse tree (simdjson DOM), shared by the fact
// extractors. A node is an object with one key, its type: {"AlterTableCmd": {...}}.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace sm::sql {

using Node = simdjson::dom::element;

// Field `key` of an object, or a null element when absent.
bool field(Node n, std::string_view key, Node& out);
std::string_view str(Node n, std::string_view key);
int64_t integer(Node n, std::string_view key, int64_t fallback = -1);
bool flag(Node n, std::string_view key);
// The type name and body of a one-key node object; empty name when `n` is not one.
std::string_view node_type(Node n, Node& body);
// The elements of the array field `key` (empty when absent).
simdjson::dom::array list(Node n, std::string_view key);
// The string of a {"String": {"sval": …}} node.
std::string_view string_node(Node n);
// The last String of a name list such as ["pg_catalog", "int4"].
std::string last_name(simdjson::dom::array names);
// All names of a name list joined with '.'.
std::string dotted_name(simdjson::dom::array names);

}  // namespace sm::sql
