#include "bench/dom_peer.h"

namespace canaryd::bench {

std::uint64_t TouchDom(simdjson::dom::element e) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::OBJECT: {
      std::uint64_t sum = 0;
      const simdjson::dom::object object = e.get_object().value_unsafe();
      for (const auto field : object) {
        sum += field.key.size() + TouchDom(field.value);
      }
      return sum;
    }
    case element_type::ARRAY: {
      std::uint64_t sum = 0;
      const simdjson::dom::array array = e.get_array().value_unsafe();
      for (const auto v : array) sum += TouchDom(v);
      return sum;
    }
    case element_type::STRING:
      return e.get_string().value_unsafe().size();
    case element_type::INT64:
      return static_cast<std::uint64_t>(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return e.get_uint64().value_unsafe();
    case element_type::DOUBLE:
      return static_cast<std::uint64_t>(e.get_double().value_unsafe());
    case element_type::BOOL:
      return e.get_bool().value_unsafe() ? 1 : 0;
    case element_type::NULL_VALUE:
      return 0;
  }
  return 0;
}

}  // namespace canaryd::bench
