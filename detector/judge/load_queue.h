// The loads a release judge holds until they are scored: canary loads waiting for a shadow
// partner or for the next baseline batch, the baseline batch itself, and the recent baseline
// loads a late canary load may pair with. Oldest first; a bounded queue drops its oldest when
// full.
//
// The judge refills these on every load of every open release, so a slot keeps its id's and
// values' storage when it is cleared or reused: in steady state nothing is allocated (copying a
// fresh id and value list per load and release was the judge's largest allocation cost). Ids are
// found by their hash first, kept in a contiguous array, so a miss over a full queue of 256 loads
// (every canary load in split mode) is a short scan instead of 256 string compares.
#pragma once

#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "detector/judge/metric.h"

namespace canaryd {

class LoadQueue {
 public:
  struct Load {
    std::string load_id;
    std::size_t id_hash = 0;
    std::vector<LoadValue> values;

    void Assign(std::string_view id, std::size_t hash, const std::vector<LoadValue>& v);
    void Assign(const Load& other) { Assign(other.load_id, other.id_hash, other.values); }
  };

  static constexpr std::size_t kUnbounded = std::numeric_limits<std::size_t>::max();
  static std::size_t HashOf(std::string_view load_id);

  explicit LoadQueue(std::size_t max_size = kUnbounded) : max_size_(max_size) {}

  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // i = 0 is the oldest.
  const Load& operator[](std::size_t i) const { return slots_[Slot(i)]; }

  // Appends a copy; when the queue is at its bound the oldest load's slot becomes the newest.
  void Push(std::string_view load_id, std::size_t id_hash, const std::vector<LoadValue>& values);
  // The position of the oldest load with this id.
  std::optional<std::size_t> Find(std::string_view load_id, std::size_t id_hash) const;
  // Removes the i-th load; the others keep their order.
  void Erase(std::size_t i);
  void Clear() { head_ = size_ = 0; }

 private:
  std::size_t Slot(std::size_t i) const {
    const std::size_t s = head_ + i;
    return s < slots_.size() ? s : s - slots_.size();
  }

  std::size_t max_size_;
  std::vector<Load> slots_;          // a ring over its whole size, grown up to max_size_
  std::vector<std::size_t> hashes_;  // hashes_[s] = slots_[s].id_hash, scanned by Find
  std::size_t head_ = 0;             // slot of the oldest load
  std::size_t size_ = 0;
};

}  // namespace canaryd
