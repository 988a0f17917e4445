#include "detector/http/actions/actions.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "tests/detector/http/fake_verdict_source.h"
#include "tests/detector/http/webhook_receiver.h"

namespace canaryd {
namespace {

using testing::Receiver;
using namespace std::chrono_literals;
using Json = nlohmann::json;

std::string TempPath(const std::string& name) {
  return ::testing::TempDir() + "canaryd_" + name + "_" + std::to_string(::getpid());
}

std::vector<Json> ReadLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<Json> out;
  std::string line;
  while (std::getline(in, line)) out.push_back(Json::parse(line));
  return out;
}

ActionEvent Rollback(std::string release = "orders-2") {
  return ActionEvent{testing::View(std::move(release), "analytics.orders", Decision::kRollback),
                     Decision::kRollback};
}

ActionConfig Webhook(const std::string& url, const std::string& secret = "") {
  ActionConfig a;
  a.name = "rollback-hook";
  a.webhook.url = url;
  a.webhook.secret = secret;
  a.webhook.timeout = 2s;
  a.retry.initial_backoff = 10ms;
  a.retry.max_backoff = 40ms;
  a.retry.max_attempts = 3;
  return a;
}

TEST(WebhookActionTest, PostsSignedJsonWithIdempotencyKey) {
  Receiver receiver;
  const std::string audit_path = TempPath("audit1");
  std::remove(audit_path.c_str());
  AuditLog audit(audit_path);
  ASSERT_TRUE(audit.ok()) << audit.error();
  ActionDispatcher d({Webhook(receiver.url(), "hush")}, &audit);
  d.Submit(Rollback());
  d.Drain();
  EXPECT_EQ(d.delivered(), 1u);
  EXPECT_EQ(d.failed(), 0u);

  const auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto& r = reqs[0];
  EXPECT_EQ(r.target, "/hook");
  EXPECT_EQ(r.headers.at("Content-Type"), "application/json");
  EXPECT_EQ(r.headers.at("X-Canaryd-Signature-256"), "sha256=" + HmacSha256Hex("hush", r.body));
  const Json body = Json::parse(r.body);
  EXPECT_EQ(body["release"], "orders-2");
  EXPECT_EQ(body["dataset"], "analytics.orders");
  EXPECT_EQ(body["decision"], "rollback");
  EXPECT_EQ(body["release_decision"], "rollback");
  EXPECT_EQ(body["reason"], "null_rate(email) 1.74% vs 1.03% baseline");
  EXPECT_EQ(body["detail"]["checks"][0]["verdict"], "FAIL");
  EXPECT_EQ(body["idempotency_key"], r.headers.at("Idempotency-Key"));
  // The signal topic's key too (detector/signal/decision_message.h).
  EXPECT_EQ(body["idempotency_key"], "orders-2|analytics.orders|rollback");

  const auto lines = ReadLines(audit_path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["outcome"], "delivered");
  EXPECT_EQ(lines[0]["status"], 200);
  EXPECT_EQ(lines[0]["action"], "rollback-hook");
  EXPECT_EQ(lines[0]["kind"], "webhook");
  EXPECT_TRUE(lines[0].contains("ts"));
  EXPECT_EQ(lines[0].dump().find("hush"), std::string::npos);  // never the secret
  std::remove(audit_path.c_str());
}

TEST(WebhookActionTest, RetriesServerErrorsWithBackoffThenDelivers) {
  Receiver receiver({503, 500});
  const std::string audit_path = TempPath("audit2");
  std::remove(audit_path.c_str());
  AuditLog audit(audit_path);
  ActionDispatcher d({Webhook(receiver.url())}, &audit);
  d.Submit(Rollback());
  d.Drain();
  EXPECT_EQ(d.delivered(), 1u);
  const auto reqs = receiver.requests();
  ASSERT_EQ(reqs.size(), 3u);
  // Every attempt carries the same key and body, so the receiver can tell repeats apart.
  EXPECT_EQ(reqs[0].headers.at("Idempotency-Key"), reqs[2].headers.at("Idempotency-Key"));
  EXPECT_EQ(reqs[0].body, reqs[2].body);
  EXPECT_EQ(reqs[2].headers.at("X-Canaryd-Attempt"), "3");
  EXPECT_EQ(reqs[0].headers.count("X-Canaryd-Signature-256"), 0u);  // no secret, no signature
  const auto lines = ReadLines(audit_path);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0]["outcome"], "retry");
  EXPECT_EQ(lines[0]["status"], 503);
  EXPECT_EQ(lines[0]["retry_in_ms"], 10);
  EXPECT_EQ(lines[1]["retry_in_ms"], 20);
  EXPECT_EQ(lines[2]["outcome"], "delivered");
  std::remove(audit_path.c_str());
}

TEST(WebhookActionTest, GivesUpAfterMaxAttemptsAndOnPermanentErrors) {
  Receiver receiver({500, 500, 500, 400});
  ActionDispatcher d({Webhook(receiver.url())}, nullptr);
  d.Submit(Rollback("r1"));
  d.Drain();
  EXPECT_EQ(receiver.requests().size(), 3u);  // max_attempts
  EXPECT_EQ(d.failed(), 1u);
  d.Submit(Rollback("r2"));  // answered 400: not retried
  d.Drain();
  EXPECT_EQ(receiver.requests().size(), 4u);
  EXPECT_EQ(d.failed(), 2u);
}

TEST(WebhookActionTest, UnreachableReceiverIsRetriedThenFailed) {
  ActionConfig a = Webhook("http://127.0.0.1:1/hook");
  a.retry.max_attempts = 2;
  ActionDispatcher d({a}, nullptr);
  d.Submit(Rollback());
  d.Drain();
  EXPECT_EQ(d.failed(), 1u);
}

TEST(WebhookActionTest, ReEmittedDecisionIsNotSentTwice) {
  Receiver receiver;
  ActionDispatcher d({Webhook(receiver.url())}, nullptr);
  d.Submit(Rollback());
  d.Submit(Rollback());  // e.g. the engine rebuilt after a restart
  d.Drain();
  EXPECT_EQ(receiver.requests().size(), 1u);
}

TEST(WebhookActionTest, OnlyConfiguredDecisionsTrigger) {
  Receiver receiver;
  ActionDispatcher d({Webhook(receiver.url())}, nullptr);  // default: rollback only
  d.Submit(ActionEvent{testing::View("good", "d", Decision::kPromote), Decision::kPromote});
  d.Drain();
  EXPECT_EQ(receiver.requests().size(), 0u);
}

TEST(CommandActionTest, DecisionIsInEnvironmentVariables) {
  const std::string out = TempPath("cmd_out");
  std::remove(out.c_str());
  ActionConfig a;
  a.name = "pause-dag";
  a.command.argv = {"/bin/sh", "-c",
                    "printf '%s|%s|%s|%s' \"$CANARYD_RELEASE\" \"$CANARYD_DATASET\" "
                    "\"$CANARYD_DECISION\" \"$CANARYD_IDEMPOTENCY_KEY\" > " +
                        out};
  const std::string audit_path = TempPath("audit3");
  std::remove(audit_path.c_str());
  AuditLog audit(audit_path);
  ActionDispatcher d({a}, &audit);
  d.Submit(Rollback());
  d.Drain();
  EXPECT_EQ(d.delivered(), 1u);
  std::ifstream in(out);
  std::string got((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(got, "orders-2|analytics.orders|rollback|" + IdempotencyKey(Rollback().view));
  const auto lines = ReadLines(audit_path);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["kind"], "command");
  EXPECT_EQ(lines[0]["exit_code"], 0);
  std::remove(out.c_str());
  std::remove(audit_path.c_str());
}

TEST(CommandActionTest, FailingCommandIsRetriedAndSlowOneKilled) {
  ActionConfig fail;
  fail.name = "fails";
  fail.command.argv = {"/bin/sh", "-c", "exit 7"};
  fail.retry.max_attempts = 2;
  fail.retry.initial_backoff = 1ms;
  ActionConfig slow;
  slow.name = "slow";
  slow.command.argv = {"/bin/sleep", "30"};
  slow.command.timeout = 200ms;
  slow.retry.max_attempts = 1;
  ActionConfig missing;
  missing.name = "missing";
  missing.command.argv = {"/nonexistent/canaryd-rollback"};
  missing.retry.max_attempts = 5;
  missing.retry.initial_backoff = 1s;  // would make the test slow if it were retried
  const auto start = std::chrono::steady_clock::now();
  ActionDispatcher d({fail, slow, missing}, nullptr);
  d.Submit(Rollback());
  d.Drain();
  EXPECT_EQ(d.failed(), 3u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(ActionDispatcherTest, StopEndsPendingRetriesPromptly) {
  ActionConfig a = Webhook("http://127.0.0.1:1/hook");
  a.retry.max_attempts = 100;
  a.retry.initial_backoff = 10s;
  auto d = std::make_unique<ActionDispatcher>(std::vector<ActionConfig>{a}, nullptr);
  d->Submit(Rollback());
  std::this_thread::sleep_for(100ms);
  const auto start = std::chrono::steady_clock::now();
  d->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_EQ(d->failed(), 1u);
}

TEST(HmacTest, KnownVector) {
  // RFC 4231 test case 2.
  EXPECT_EQ(HmacSha256Hex("Jefe", "what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(IdempotencyKeyTest, DependsOnReleaseDatasetAndDecisionOnly) {
  ReleaseDatasetView a = testing::View("r", "d", Decision::kRollback);
  ReleaseDatasetView b = a;
  b.canary_loads += 5;
  b.reason = "other words";
  EXPECT_EQ(IdempotencyKey(a), IdempotencyKey(b));
  b.decision = Decision::kPromote;
  EXPECT_NE(IdempotencyKey(a), IdempotencyKey(b));
  // Dataset names cannot hold '|' (sample contract), so a release name holding one still gives
  // a key that splits unambiguously from the right.
  EXPECT_NE(IdempotencyKey(testing::View("a|b", "c", Decision::kRollback)),
            IdempotencyKey(testing::View("a", "b.c", Decision::kRollback)));
}

}  // namespace
}  // namespace canaryd
