// The peer every decode and replay figure is compared with: a bare simdjson DOM parse of a report
// that touches every field, so the parse cannot be optimized away. One definition for all benches.
#pragma once

#include <cstdint>

#include <simdjson.h>

namespace canaryd::bench {

// Sums key lengths, string lengths and numbers of every value in the document.
std::uint64_t TouchDom(simdjson::dom::element e);

}  // namespace canaryd::bench
