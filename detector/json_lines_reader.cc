#include "detector/json_lines_reader.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace canaryd {
namespace {

constexpr std::size_t kChunkBytes = 64 * 1024;

bool IsBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

}  // namespace

JsonLinesReader::JsonLinesReader(std::istream& in, std::size_t max_line_bytes)
    : in_(in), max_line_bytes_(max_line_bytes), chunk_(kChunkBytes) {}

bool JsonLinesReader::Fill() {
  pos_ = 0;
  end_ = 0;
  if (!in_.good()) return false;
  in_.read(chunk_.data(), static_cast<std::streamsize>(chunk_.size()));
  end_ = static_cast<std::size_t>(in_.gcount());
  return end_ > 0;
}

bool JsonLinesReader::Next(JsonLine* line) {
  // One byte over the limit is kept so that a line of exactly max_line_bytes followed by "\r\n"
  // is still within the limit once the '\r' is stripped.
  const std::size_t keep = max_line_bytes_ + (max_line_bytes_ < SIZE_MAX ? 1 : 0);
  for (;;) {
    const std::uint64_t offset = consumed_;
    std::uint64_t length = 0;  // bytes of the line, '\n' excluded
    bool newline = false;
    bool dropped = false;           // bytes beyond `keep` were discarded
    bool dropped_nonblank = false;  // ... and some of them were not whitespace
    std::string_view in_place;      // the whole line when it sits inside one chunk
    line_.clear();

    while (!newline) {
      if (pos_ == end_ && !Fill()) break;
      const char* begin = chunk_.data() + pos_;
      const auto* nl = static_cast<const char*>(std::memchr(begin, '\n', end_ - pos_));
      const std::size_t n = nl ? static_cast<std::size_t>(nl - begin) : end_ - pos_;
      newline = nl != nullptr;
      if (newline && length == 0 && n <= keep) {
        in_place = std::string_view(begin, n);  // common case: no copy
      } else {
        const std::size_t take = std::min(n, keep - line_.size());
        line_.append(begin, take);
        if (take < n) {
          dropped = true;
          dropped_nonblank = dropped_nonblank || !IsBlank(std::string_view(begin + take, n - take));
        }
      }
      length += n;
      pos_ += n + (newline ? 1 : 0);
    }
    if (length == 0 && !newline) return false;  // end of input (or read error)

    consumed_ += length + (newline ? 1 : 0);
    ++line_no_;
    std::string_view text = in_place.data() != nullptr ? in_place : std::string_view(line_);
    if (!dropped && !text.empty() && text.back() == '\r') text.remove_suffix(1);
    const bool oversize = dropped || text.size() > max_line_bytes_;
    if (IsBlank(text) && !dropped_nonblank) continue;

    line->text = oversize ? std::string_view() : text;
    line->line_no = line_no_;
    line->offset = offset;
    line->oversize = oversize;
    return true;
  }
}

}  // namespace canaryd
