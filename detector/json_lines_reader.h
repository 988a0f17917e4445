// Splits a JSON Lines stream (replay files, HTTP ingest bodies) into lines with bounded memory:
// a line longer than the limit is reported but never buffered whole.
#pragma once

#include <cstddef>
#include <cstdint>
#include <istream>
#include <string>
#include <string_view>
#include <vector>

namespace canaryd {

struct JsonLine {
  std::string_view text;  // without the '\n' and one trailing '\r'; valid until the next Next()
  std::uint64_t line_no;  // 1-based, counting blank lines too, so it matches an editor
  std::uint64_t offset;   // byte offset of the line's first byte in the stream
  bool oversize;          // longer than max_line_bytes: text is empty, the line was skipped
};

class JsonLinesReader {
 public:
  // `in` must outlive the reader. Memory use is about max_line_bytes plus a fixed read chunk,
  // whatever the input.
  JsonLinesReader(std::istream& in, std::size_t max_line_bytes);

  // The next non-blank line (blank = only JSON whitespace: space, tab, CR). A last line without
  // '\n' is returned like any other. False at end of input or on a read error (see failed()).
  // Reads in chunks, so on a pipe it waits for a chunk or end of input, not for each line.
  bool Next(JsonLine* line);

  // Bytes consumed through the end of the last line Next() returned or skipped, newline
  // included; equals the stream's length once Next() has returned false.
  std::uint64_t bytes_read() const { return consumed_; }

  // The stream reported a read error (badbit): a false Next() did not mean end of input.
  bool failed() const { return in_.bad(); }

 private:
  bool Fill();

  std::istream& in_;
  std::size_t max_line_bytes_;
  std::vector<char> chunk_;
  std::size_t pos_ = 0;  // next unread byte of chunk_
  std::size_t end_ = 0;  // bytes of chunk_ holding data
  std::string line_;     // a line that spans chunks, capped at max_line_bytes_ + 1
  std::uint64_t line_no_ = 0;
  std::uint64_t consumed_ = 0;
};

}  // namespace canaryd
