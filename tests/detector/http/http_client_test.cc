#include "detector/http/http_client.h"

#include <gtest/gtest.h>

namespace canaryd {
namespace {

TEST(ParseHttpUrlTest, HostPortAndPath) {
  std::string error;
  auto u = ParseHttpUrl("http://127.0.0.1:8787", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, "8787");
  EXPECT_EQ(u->path, "/");
  u = ParseHttpUrl("http://canaryd.internal/prefix/", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->port, "80");
  EXPECT_EQ(u->path, "/prefix/");
  u = ParseHttpUrl("http://[::1]:8080/x", &error);
  ASSERT_TRUE(u) << error;
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, "8080");
}

TEST(ParseHttpUrlTest, RejectsWhatItCannotServe) {
  std::string error;
  EXPECT_FALSE(ParseHttpUrl("https://x", &error));
  EXPECT_NE(error.find("https"), std::string::npos);
  EXPECT_FALSE(ParseHttpUrl("127.0.0.1:80", &error));
  EXPECT_FALSE(ParseHttpUrl("http://:80", &error));
  EXPECT_FALSE(ParseHttpUrl("http://x:99999", &error));
  EXPECT_FALSE(ParseHttpUrl("http://x:0", &error));
  EXPECT_FALSE(ParseHttpUrl("http://user:pw@x", &error));
}

TEST(JoinPathTest, NoDoubleSlashes) {
  EXPECT_EQ(JoinPath("/", "/v1/releases/r"), "/v1/releases/r");
  EXPECT_EQ(JoinPath("/prefix/", "/v1/releases/r"), "/prefix/v1/releases/r");
  EXPECT_EQ(JoinPath("/prefix?x=1", "/v1"), "/prefix/v1");
}

TEST(PercentEncodeTest, EncodesAllButUnreserved) {
  EXPECT_EQ(PercentEncode("orders-dbt-2026.11.23.2"), "orders-dbt-2026.11.23.2");
  EXPECT_EQ(PercentEncode("a/b c"), "a%2Fb%20c");
}

TEST(HttpFetchTest, ConnectionRefusedIsAnErrorNotAThrow) {
  HttpUrl url{"127.0.0.1", "1", "/"};
  HttpRequestSpec spec;
  spec.timeout = std::chrono::milliseconds(500);
  const HttpResult r = HttpFetch(url, spec);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("connect"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace canaryd
