// Errors on the data path are values, not exceptions: a bad report must never take the process
// down. Result<T> is Boost.Outcome's result with our own error type.
#pragma once

#include <string>
#include <utility>

#include <boost/outcome.hpp>

namespace canaryd {

// A reason a caller can act on plus a human detail. Details never carry row values (PCI):
// field names and limits only.
struct Error {
  std::string code;    // stable machine-readable reason, e.g. "nulls_exceed_rows"
  std::string detail;  // one human sentence

  static Error Make(std::string code, std::string detail) {
    return Error{std::move(code), std::move(detail)};
  }
};

template <class T>
using Result =
    BOOST_OUTCOME_V2_NAMESPACE::basic_result<T, Error,
                                             BOOST_OUTCOME_V2_NAMESPACE::policy::terminate>;

// Success with no value.
using Status = Result<void>;

inline Status OkStatus() { return BOOST_OUTCOME_V2_NAMESPACE::success(); }

}  // namespace canaryd
