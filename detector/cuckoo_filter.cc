#include "detector/cuckoo_filter.h"

#include <bit>

namespace canaryd {
namespace {

constexpr std::uint64_t kLaneLow = 0x0001000100010001ULL;
constexpr std::uint64_t kLaneHigh = 0x8000800080008000ULL;
// The relocation budget before Insert gives up. The paper's 500 keeps failures rare below ~95%
// load; the deduper grows at a lower load, so hitting it means the table is badly unlucky.
constexpr int kMaxKicks = 500;

// Non-zero iff some 16-bit lane of `bucket` equals `tag`, and then its lowest set bit is the top
// bit of the first such lane (the has-zero-lane trick on bucket ^ broadcast(tag): a borrow can
// flag lanes above a true match, never below one). Four comparisons, no branches.
std::uint64_t MatchingLanes(std::uint64_t bucket, std::uint16_t tag) {
  const std::uint64_t x = bucket ^ (kLaneLow * tag);
  return (x - kLaneLow) & ~x & kLaneHigh;
}

}  // namespace

CuckooFilter::CuckooFilter(std::size_t bucket_count) { Reset(bucket_count); }

void CuckooFilter::Reset(std::size_t bucket_count) {
  const std::size_t n = std::bit_ceil(bucket_count < 1 ? std::size_t{1} : bucket_count);
  buckets_.assign(n, 0);
  mask_ = n - 1;
  size_ = 0;
}

std::uint16_t CuckooFilter::TagOf(std::uint64_t hash) {
  const auto tag = static_cast<std::uint16_t>(hash >> 48);
  return tag == 0 ? 1 : tag;  // 0 is the empty slot
}

std::size_t CuckooFilter::AltIndex(std::size_t index, std::uint16_t tag) const {
  // XOR with a function of the tag alone: applied twice it returns to `index`, so a tag can move
  // between its two buckets without knowing the key. The multiplier spreads the 16 bits over the
  // index bits (0x5bd1e995 is MurmurHash2's).
  return (index ^ (static_cast<std::size_t>(tag) * 0x5bd1e995U)) & mask_;
}

bool CuckooFilter::MayContain(std::uint64_t hash) const {
  const std::uint16_t tag = TagOf(hash);
  const std::size_t i1 = hash & mask_;
  if (MatchingLanes(buckets_[i1], tag) != 0) return true;
  return MatchingLanes(buckets_[AltIndex(i1, tag)], tag) != 0;
}

bool CuckooFilter::TryPlace(Bucket& bucket, std::uint16_t tag) {
  const std::uint64_t empty = MatchingLanes(bucket, 0);
  if (empty == 0) return false;
  // The lowest empty lane: its high bit is at 16 * lane + 15.
  const int shift = std::countr_zero(empty) - 15;
  bucket |= static_cast<std::uint64_t>(tag) << shift;
  return true;
}

bool CuckooFilter::Insert(std::uint64_t hash) {
  std::uint16_t tag = TagOf(hash);
  std::size_t index = hash & mask_;
  ++size_;
  if (TryPlace(buckets_[index], tag)) return true;
  index = AltIndex(index, tag);
  if (TryPlace(buckets_[index], tag)) return true;
  for (int kick = 0; kick < kMaxKicks; ++kick) {
    // xorshift64: cheap, and a fixed seed keeps the table's layout reproducible.
    kick_state_ ^= kick_state_ << 13;
    kick_state_ ^= kick_state_ >> 7;
    kick_state_ ^= kick_state_ << 17;
    const int shift = static_cast<int>(kick_state_ % kSlotsPerBucket) * 16;
    Bucket& bucket = buckets_[index];
    const auto victim = static_cast<std::uint16_t>(bucket >> shift);
    bucket = (bucket & ~(std::uint64_t{0xFFFF} << shift)) | (std::uint64_t{tag} << shift);
    tag = victim;
    index = AltIndex(index, tag);
    if (TryPlace(buckets_[index], tag)) return true;
  }
  // `tag` (some earlier key's) is homeless: the filter has lost a member.
  --size_;
  return false;
}

bool CuckooFilter::Erase(std::uint64_t hash) {
  const std::uint16_t tag = TagOf(hash);
  const std::size_t i1 = hash & mask_;
  for (const std::size_t index : {i1, AltIndex(i1, tag)}) {
    const std::uint64_t lanes = MatchingLanes(buckets_[index], tag);
    if (lanes == 0) continue;
    const int shift = std::countr_zero(lanes) - 15;
    buckets_[index] &= ~(std::uint64_t{0xFFFF} << shift);
    --size_;
    return true;
  }
  return false;
}

}  // namespace canaryd
