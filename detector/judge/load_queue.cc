#include "detector/judge/load_queue.h"

#include <algorithm>
#include <functional>
#include <utility>

namespace canaryd {

void LoadQueue::Load::Assign(std::string_view id, std::size_t hash,
                             const std::vector<LoadValue>& v) {
  load_id.assign(id);
  id_hash = hash;
  values.assign(v.begin(), v.end());
}

std::size_t LoadQueue::HashOf(std::string_view load_id) {
  return std::hash<std::string_view>{}(load_id);
}

void LoadQueue::Push(std::string_view load_id, std::size_t id_hash,
                     const std::vector<LoadValue>& values) {
  if (size_ == max_size_) {
    if (size_ == 0) return;
    // The oldest slot is reused for the newest load.
    const std::size_t s = head_;
    head_ = Slot(1);
    slots_[s].Assign(load_id, id_hash, values);
    hashes_[s] = id_hash;
    return;
  }
  if (size_ == slots_.size()) {
    // Grow the ring: straighten it so that the new slot goes at the end, after the newest.
    std::rotate(slots_.begin(), slots_.begin() + static_cast<std::ptrdiff_t>(head_), slots_.end());
    std::rotate(hashes_.begin(), hashes_.begin() + static_cast<std::ptrdiff_t>(head_),
                hashes_.end());
    head_ = 0;
    slots_.emplace_back();
    hashes_.push_back(0);
  }
  const std::size_t s = Slot(size_);
  slots_[s].Assign(load_id, id_hash, values);
  hashes_[s] = id_hash;
  ++size_;
}

std::optional<std::size_t> LoadQueue::Find(std::string_view load_id, std::size_t id_hash) const {
  for (std::size_t i = 0; i < size_; ++i) {
    const std::size_t s = Slot(i);
    if (hashes_[s] == id_hash && slots_[s].load_id == load_id) return i;
  }
  return std::nullopt;
}

void LoadQueue::Erase(std::size_t i) {
  if (i >= size_) return;
  // The erased slot moves to the end of the ring (swaps keep every slot's storage), just past
  // the loads that remain.
  for (std::size_t k = i; k + 1 < size_; ++k) {
    const std::size_t a = Slot(k);
    const std::size_t b = Slot(k + 1);
    std::swap(slots_[a], slots_[b]);
    std::swap(hashes_[a], hashes_[b]);
  }
  --size_;
}

}  // namespace canaryd
