#include "detector/judge/load_queue.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace canaryd {
namespace {

std::vector<LoadValue> Values(int metric, double value) {
  return {LoadValue{metric, value, false, 1, 10}};
}

void Push(LoadQueue* q, const std::string& id, double value = 0.0) {
  q->Push(id, LoadQueue::HashOf(id), Values(0, value));
}

std::vector<std::string> Ids(const LoadQueue& q) {
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < q.size(); ++i) ids.push_back(q[i].load_id);
  return ids;
}

std::optional<std::size_t> Find(const LoadQueue& q, const std::string& id) {
  return q.Find(id, LoadQueue::HashOf(id));
}

TEST(LoadQueue, KeepsArrivalOrderAndCopiesValues) {
  LoadQueue q;
  Push(&q, "a", 1.0);
  Push(&q, "b", 2.0);
  Push(&q, "c", 3.0);
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"a", "b", "c"}));
  ASSERT_EQ(q[1].values.size(), 1u);
  EXPECT_EQ(q[1].values[0].value, 2.0);
  EXPECT_EQ(q[1].id_hash, LoadQueue::HashOf("b"));
}

TEST(LoadQueue, BoundedQueueDropsItsOldest) {
  LoadQueue q(3);
  for (const char* id : {"a", "b", "c", "d", "e"}) Push(&q, id);
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"c", "d", "e"}));
  EXPECT_FALSE(Find(q, "a"));
  EXPECT_EQ(Find(q, "e"), 2u);
}

TEST(LoadQueue, FindComparesTheIdNotOnlyTheHash) {
  LoadQueue q;
  q.Push("a", 42, Values(0, 0));
  q.Push("b", 42, Values(0, 0));
  EXPECT_EQ(q.Find("b", 42), 1u);
  EXPECT_FALSE(q.Find("c", 42));
  EXPECT_FALSE(q.Find("a", 7));  // a different hash is a different id
}

TEST(LoadQueue, EraseKeepsTheOthersInOrderAcrossTheRingsWrap) {
  LoadQueue q(4);
  for (const char* id : {"a", "b", "c", "d", "e", "f"}) Push(&q, id);  // ring wrapped twice
  ASSERT_EQ(Ids(q), (std::vector<std::string>{"c", "d", "e", "f"}));
  q.Erase(1);
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"c", "e", "f"}));
  Push(&q, "g");
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"c", "e", "f", "g"}));
  Push(&q, "h");
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"e", "f", "g", "h"}));
  EXPECT_EQ(Find(q, "h"), 3u);
  q.Erase(7);  // out of range: nothing
  EXPECT_EQ(q.size(), 4u);
}

TEST(LoadQueue, GrowsAfterWrappingWithoutLosingOrder) {
  LoadQueue q;
  for (const char* id : {"a", "b", "c"}) Push(&q, id);
  q.Erase(0);
  Push(&q, "d");  // reuses the freed slot
  Push(&q, "e");  // grows
  Push(&q, "f");
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"b", "c", "d", "e", "f"}));
}

TEST(LoadQueue, ClearKeepsNothingVisible) {
  LoadQueue q(2);
  Push(&q, "a");
  Push(&q, "b");
  q.Clear();
  EXPECT_TRUE(q.empty());
  EXPECT_FALSE(Find(q, "a"));
  Push(&q, "c");
  EXPECT_EQ(Ids(q), (std::vector<std::string>{"c"}));
}

}  // namespace
}  // namespace canaryd
