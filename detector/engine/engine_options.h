// Every knob of the engine in one place, with the defaults a first run uses.
#pragma once

#include <cstddef>
#include <cstdint>

#include <memory>

#include "detector/engine/judge_options_source.h"
#include "detector/judge/judge_options.h"
#include "detector/load_deduper.h"

namespace canaryd {

struct EngineOptions {
  JudgeOptions judge;  // the built-in defaults, used when `rules` is null
  // Per-dataset options (the rules file); replaceable at run time with Engine::SetRules.
  std::shared_ptr<const JudgeOptionsSource> rules;
  DedupeOptions dedupe;
  int shards = 2;
  std::size_t batch_size = 256;    // reports per batch handed to a shard
  std::size_t queue_batches = 64;  // batches in flight per shard before the producer waits
  // A report whose ts is this far ahead of its dataset's newest report is dropped as a clock
  // error (counted as future_ts).
  std::int64_t max_future_skew_ms = 6LL * 3600 * 1000;
  // A decided release is forgotten this long (report time) after its decision.
  std::int64_t retire_after_ms = 24LL * 3600 * 1000;
  // Shards republish their snapshot at most this often (wall clock), and on every decision.
  std::int64_t snapshot_interval_ms = 200;
};

}  // namespace canaryd
