#include "detector/json_lines_reader.h"

#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace canaryd {
namespace {

struct Line {
  std::string text;
  std::uint64_t line_no;
  std::uint64_t offset;
  bool oversize;

  bool operator==(const Line&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Line& l) {
  return os << "{line " << l.line_no << " @" << l.offset << (l.oversize ? " oversize" : "")
            << " text(" << l.text.size() << ")=" << l.text.substr(0, 40) << "}";
}

std::vector<Line> ReadAll(const std::string& input, std::size_t max_line_bytes,
                          std::uint64_t* bytes_read = nullptr) {
  std::istringstream in(input);
  JsonLinesReader reader(in, max_line_bytes);
  std::vector<Line> lines;
  JsonLine line{};
  while (reader.Next(&line)) {
    lines.push_back(Line{std::string(line.text), line.line_no, line.offset, line.oversize});
  }
  EXPECT_FALSE(reader.Next(&line)) << "end of input is sticky";
  EXPECT_FALSE(reader.failed());
  if (bytes_read) *bytes_read = reader.bytes_read();
  return lines;
}

// Straightforward whole-input reference for the randomized test.
std::vector<Line> Reference(const std::string& input, std::size_t max_line_bytes) {
  std::vector<Line> lines;
  std::size_t start = 0;
  std::uint64_t line_no = 0;
  while (start < input.size()) {
    std::size_t nl = input.find('\n', start);
    const std::size_t end = nl == std::string::npos ? input.size() : nl;
    std::string text = input.substr(start, end - start);
    ++line_no;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    const bool blank = text.find_first_not_of(" \t\r") == std::string::npos;
    if (!blank) {
      const bool oversize = text.size() > max_line_bytes;
      lines.push_back(Line{oversize ? "" : text, line_no, start, oversize});
    }
    start = end + 1;
  }
  return lines;
}

TEST(JsonLinesReaderTest, SplitsLinesWithNumbersAndOffsets) {
  std::uint64_t bytes = 0;
  const auto lines = ReadAll("{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n", 100, &bytes);
  const std::vector<Line> expected = {
      {R"({"a":1})", 1, 0, false},
      {R"({"b":2})", 2, 8, false},
      {R"({"c":3})", 3, 16, false},
  };
  EXPECT_EQ(lines, expected);
  EXPECT_EQ(bytes, 24U);
}

TEST(JsonLinesReaderTest, EmptyInputHasNoLines) {
  std::uint64_t bytes = 1;
  EXPECT_TRUE(ReadAll("", 100, &bytes).empty());
  EXPECT_EQ(bytes, 0U);
  EXPECT_TRUE(ReadAll("\n\n\r\n  \t \n", 100, &bytes).empty());
  EXPECT_EQ(bytes, 9U);
}

TEST(JsonLinesReaderTest, LastLineWithoutNewline) {
  std::uint64_t bytes = 0;
  const auto lines = ReadAll("{}\n[1]", 100, &bytes);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[1], (Line{"[1]", 2, 3, false}));
  EXPECT_EQ(bytes, 6U);
  EXPECT_EQ(ReadAll("x", 100), (std::vector<Line>{{"x", 1, 0, false}}));
  EXPECT_EQ(ReadAll("x\r", 100), (std::vector<Line>{{"x", 1, 0, false}}));
}

TEST(JsonLinesReaderTest, StripsOneTrailingCarriageReturn) {
  const auto lines = ReadAll("{}\r\n{ }\r\r\n", 100);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0].text, "{}");
  EXPECT_EQ(lines[1].text, "{ }\r");  // only the CRLF's CR belongs to the line ending
  EXPECT_EQ(lines[1].offset, 4U);
}

TEST(JsonLinesReaderTest, SkipsBlankLinesButCountsThem) {
  const auto lines = ReadAll("\n  \n{}\n\t\r\n\r\n \"x\" \n\n", 100);
  const std::vector<Line> expected = {
      {"{}", 3, 4, false},
      {" \"x\" ", 6, 12, false},  // inner whitespace is kept; the decoder allows it
  };
  EXPECT_EQ(lines, expected);
}

TEST(JsonLinesReaderTest, LinesAtTheLimitAreKept) {
  const std::string at_limit(10, 'a');
  EXPECT_EQ(ReadAll(at_limit + "\n", 10), (std::vector<Line>{{at_limit, 1, 0, false}}));
  EXPECT_EQ(ReadAll(at_limit + "\r\n", 10), (std::vector<Line>{{at_limit, 1, 0, false}}));
  EXPECT_EQ(ReadAll(at_limit, 10), (std::vector<Line>{{at_limit, 1, 0, false}}));
  EXPECT_EQ(ReadAll(at_limit + "\r", 10), (std::vector<Line>{{at_limit, 1, 0, false}}));
}

TEST(JsonLinesReaderTest, OversizeLinesAreReportedEmptyAndSkipped) {
  const std::string over(11, 'b');
  std::uint64_t bytes = 0;
  const auto lines = ReadAll("{}\n" + over + "\n" + over + "\r\n{\"ok\":1}", 10, &bytes);
  const std::vector<Line> expected = {
      {"{}", 1, 0, false},
      {"", 2, 3, true},
      {"", 3, 15, true},
      {"{\"ok\":1}", 4, 28, false},
  };
  EXPECT_EQ(lines, expected);
  EXPECT_EQ(bytes, 36U);
  EXPECT_EQ(ReadAll(over, 10), (std::vector<Line>{{"", 1, 0, true}}));
}

TEST(JsonLinesReaderTest, HugeLineDoesNotDisturbItsNeighbours) {
  // Several read chunks long, so the skipped tail crosses chunk boundaries.
  const std::string huge(1'000'000, 'z');
  const std::string input = "{\"a\":1}\n" + huge + "\n{\"b\":2}\n";
  const std::vector<Line> expected = {
      {"{\"a\":1}", 1, 0, false},
      {"", 2, 8, true},
      {"{\"b\":2}", 3, 8 + huge.size() + 1, false},
  };
  EXPECT_EQ(ReadAll(input, 64 * 1024), expected);
}

TEST(JsonLinesReaderTest, OversizeWhitespaceOnlyLineIsBlank) {
  EXPECT_EQ(ReadAll(std::string(200'000, ' ') + "\n{}\n", 100),
            (std::vector<Line>{{"{}", 2, 200'001, false}}));
  // ...but one non-blank byte far past the limit still makes it an oversize line.
  EXPECT_EQ(ReadAll(std::string(200'000, ' ') + "x\n{}\n", 100),
            (std::vector<Line>{{"", 1, 0, true}, {"{}", 2, 200'002, false}}));
}

TEST(JsonLinesReaderTest, LinesSpanningReadChunksAreWhole) {
  // Line lengths around the 64 KiB read chunk so lines straddle every boundary position.
  std::string input;
  std::vector<std::string> texts;
  for (int i = 0; i < 40; ++i) {
    std::string text = "{\"i\":" + std::to_string(i) + ",\"p\":\"" +
                       std::string(static_cast<std::size_t>(9000 + 977 * i), 'p') + "\"}";
    texts.push_back(text);
    input += text + (i % 3 == 0 ? "\r\n" : "\n");
  }
  const auto lines = ReadAll(input, 1 << 20);
  ASSERT_EQ(lines.size(), texts.size());
  for (std::size_t i = 0; i < texts.size(); ++i) {
    EXPECT_EQ(lines[i].text, texts[i]) << i;
    EXPECT_EQ(lines[i].line_no, i + 1);
    EXPECT_EQ(input.substr(lines[i].offset, texts[i].size()), texts[i]);
  }
}

TEST(JsonLinesReaderTest, MatchesReferenceOnRandomInput) {
  std::mt19937 rng(20261123);
  const std::string alphabet = "ab{}\" \t\r\n\r\n\n";
  for (int round = 0; round < 200; ++round) {
    std::uniform_int_distribution<std::size_t> length(0, round < 150 ? 300 : 200'000);
    std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() - 1);
    std::string input(length(rng), ' ');
    for (char& c : input) c = alphabet[pick(rng)];
    // Occasionally long runs without a newline so some lines are oversize.
    if (round % 4 == 0) input.insert(input.size() / 2, std::string(round * 7, 'q'));
    const std::size_t max_line = 1 + round % 40;
    std::uint64_t bytes = 0;
    ASSERT_EQ(ReadAll(input, max_line, &bytes), Reference(input, max_line))
        << "round " << round << " max_line " << max_line;
    EXPECT_EQ(bytes, input.size());
  }
}

TEST(JsonLinesReaderTest, TextIsValidUntilTheNextCall) {
  std::istringstream in("{\"a\":1}\n{\"b\":2}\n");
  JsonLinesReader reader(in, 100);
  JsonLine first{};
  ASSERT_TRUE(reader.Next(&first));
  EXPECT_EQ(first.text, "{\"a\":1}");
  EXPECT_EQ(reader.bytes_read(), 8U);
  JsonLine second{};
  ASSERT_TRUE(reader.Next(&second));
  EXPECT_EQ(second.text, "{\"b\":2}");
  EXPECT_EQ(reader.bytes_read(), 16U);
  EXPECT_FALSE(reader.Next(&second));
}

// A stream whose device fails after some data, like a read error on a disk or pipe.
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string data) : data_(std::move(data)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("device error"); }

 private:
  std::string data_;
};

TEST(JsonLinesReaderTest, ReadErrorIsDistinguishableFromEndOfInput) {
  FailingBuf buf("{\"a\":1}\n{\"b\"");
  std::istream in(&buf);
  JsonLinesReader reader(in, 100);
  JsonLine line{};
  int lines = 0;
  while (reader.Next(&line) && lines < 10) ++lines;
  EXPECT_TRUE(reader.failed());
  EXPECT_FALSE(reader.Next(&line));

  std::istringstream ok("{}");
  JsonLinesReader clean(ok, 100);
  while (clean.Next(&line)) {
  }
  EXPECT_FALSE(clean.failed());
}

}  // namespace
}  // namespace canaryd
