package dev.letmepost.platform.telegram;

import static dev.letmepost.platform.ConnectorTestKit.json;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.letmepost.platform.ConnectorTestKit;
import dev.letmepost.publish.AccountAccess;
import dev.letmepost.publish.CallFailure;
import dev.letmepost.publish.CallResult;
import dev.letmepost.publish.ErrorCodes;
import dev.letmepost.publish.PlatformHttp;
import dev.letmepost.wire.Account;
import dev.letmepost.wire.PublishTask;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.MockResponse;
import okhttp3.mockwebserver.MockWebServer;
import okhttp3.mockwebserver.RecordedRequest;
import okhttp3.mockwebserver.SocketPolicy;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TelegramConnectorTest {
  private static final Clock CLOCK =
      Clock.fixed(Instant.parse("2026-03-01T12:00:00Z"), ZoneOffset.UTC);
  private static final String TOKEN = "s3cr3t-value";

  /** A real sendMessage answer for a public channel, trimmed of nothing but ids. */
  private static final String SENT_TO_CHANNEL =
      "{\"ok\":true,\"result\":{\"message_id\":42,\"sender_chat\":{\"id\":-1001234567890,"
          + "\"title\":\"Let Me Post\",\"username\":\"letmepost\",\"type\":\"channel\"},"
          + "\"chat\":{\"id\":-1001234567890,\"title\":\"Let Me Post\",\"username\":\"letmepost\","
          + "\"type\":\"channel\"},\"date\":1772366400,\"text\":\"hello\"}}";

  private MockWebServer server;
  private TelegramConnector connector;

  @BeforeEach
  void start() throws IOException {
    server = new MockWebServer();
    server.start();
    connector =
        new TelegramConnector(
            PlatformHttp.create(Duration.ofSeconds(2), Duration.ofSeconds(5), CLOCK));
  }

  @AfterEach
  void stop() throws IOException {
    server.shutdown();
  }

  @Test
  void sendsMessageToPublicChannelAndLinksIt() throws Exception {
    server.enqueue(json(200, SENT_TO_CHANNEL));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result).isEqualTo(new CallResult.Published("42", "https://t.me/letmepost/42"));
    RecordedRequest request = take();
    assertThat(request.getMethod()).isEqualTo("POST");
    assertThat(request.getPath()).isEqualTo("/bot" + TOKEN + "/sendMessage");
    assertThat(request.getHeader("Content-Type")).isEqualTo("application/json");
    assertThat(request.getHeader("Authorization")).isNull();
    assertThat(request.getBody().readUtf8())
        .isEqualTo("{\"chat_id\":\"@letmepost\",\"text\":\"hello\"}");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void numericChatIdIsSentAsNumberAndPrivateChatHasNoLink() throws Exception {
    server.enqueue(
        json(
            200,
            "{\"ok\":true,\"result\":{\"message_id\":7,\"from\":{\"id\":6382182080,"
                + "\"is_bot\":true,\"first_name\":\"lmp\",\"username\":\"lmp_bot\"},"
                + "\"chat\":{\"id\":-4001234567,\"title\":\"team\",\"type\":\"group\","
                + "\"all_members_are_administrators\":true},\"date\":1772366400,"
                + "\"text\":\"hi team\"}}"));

    CallResult result = connector.publish(task("hi team"), access("-4001234567"));

    assertThat(result).isEqualTo(new CallResult.Published("7", null));
    assertThat(take().getBody().readUtf8())
        .isEqualTo("{\"chat_id\":-4001234567,\"text\":\"hi team\"}");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void oneMediaUrlIsSentAsPhotoWithTextAsCaption() throws Exception {
    server.enqueue(
        json(
            200,
            "{\"ok\":true,\"result\":{\"message_id\":43,\"chat\":{\"id\":-1001234567890,"
                + "\"title\":\"Let Me Post\",\"username\":\"letmepost\",\"type\":\"channel\"},"
                + "\"date\":1772366400,\"photo\":[{\"file_id\":\"AgAC\",\"file_unique_id\":\"AQAD\","
                + "\"file_size\":1290,\"width\":90,\"height\":90}],\"caption\":\"a cat\"}}"));

    CallResult result =
        connector.publish(
            task("a cat", List.of(new PublishTask.Media("https://img.example/cat.jpg", "cat"))),
            access("@letmepost"));

    assertThat(result).isEqualTo(new CallResult.Published("43", "https://t.me/letmepost/43"));
    RecordedRequest request = take();
    assertThat(request.getPath()).isEqualTo("/bot" + TOKEN + "/sendPhoto");
    assertThat(request.getBody().readUtf8())
        .isEqualTo(
            "{\"chat_id\":\"@letmepost\",\"photo\":\"https://img.example/cat.jpg\","
                + "\"caption\":\"a cat\"}");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void retryAfterFromParameters() throws Exception {
    server.enqueue(
        json(
            429,
            "{\"ok\":false,\"error_code\":429,\"description\":\"Too Many Requests: retry after"
                + " 35\",\"parameters\":{\"retry_after\":35}}"));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result)
        .isInstanceOfSatisfying(
            CallResult.NotSent.class,
            r -> {
              assertThat(r.code()).isEqualTo(ErrorCodes.RATE_LIMITED);
              assertThat(r.retryAfter()).isEqualTo(Duration.ofSeconds(35));
              assertThat(r.message()).contains("@letmepost");
            });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void retryAfterHeaderIsTheFallbackWithoutParameters() throws Exception {
    server.enqueue(json(429, "{\"ok\":false,\"error_code\":429}").addHeader("Retry-After", "9"));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.NotSent.class);
    assertThat(((CallResult.NotSent) result).retryAfter()).isEqualTo(Duration.ofSeconds(9));
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void unauthorizedTokenIsAccountDisconnected() throws Exception {
    server.enqueue(json(401, "{\"ok\":false,\"error_code\":401,\"description\":\"Unauthorized\"}"));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void unknownTokenAnswered404IsAccountDisconnected() throws Exception {
    server.enqueue(json(404, "{\"ok\":false,\"error_code\":404,\"description\":\"Not Found\"}"));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void botKickedOrBlockedIsAccountDisconnected() throws Exception {
    server.enqueue(
        json(
            403,
            "{\"ok\":false,\"error_code\":403,\"description\":\"Forbidden: bot is not a member of"
                + " the channel chat\"}"));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message()).doesNotContain("not a member");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void chatNotFoundIsRejectedByPlatform() throws Exception {
    server.enqueue(
        json(
            400,
            "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: chat not found\"}"));

    CallResult result = connector.publish(task("hello"), access("@nosuchchannel"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(((CallResult.Failed) result).message()).contains("@nosuchchannel");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void messageTooLongIsTextTooLong() throws Exception {
    server.enqueue(
        json(
            400,
            "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: message is too"
                + " long\"}"));

    CallResult result = connector.publish(task("x".repeat(5000)), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.TEXT_TOO_LONG);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void groupMigratedToSupergroupNamesTheNewChat() throws Exception {
    server.enqueue(
        json(
            400,
            "{\"ok\":false,\"error_code\":400,\"description\":\"Bad Request: group chat was"
                + " upgraded to a supergroup chat\",\"parameters\":{\"migrate_to_chat_id\":"
                + "-1009876543210}}"));

    CallResult result = connector.publish(task("hello"), access("-4001234567"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.REJECTED_BY_PLATFORM);
    assertThat(((CallResult.Failed) result).message()).contains("now chat -1009876543210");
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void serverErrorIsUnclear() throws Exception {
    server.enqueue(json(502, "<html><body>502 Bad Gateway</body></html>"));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.PLATFORM_ERROR);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void timeoutIsUnclearAndNamesNoUrl() throws Exception {
    TelegramConnector impatient =
        new TelegramConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));

    assertThatThrownBy(() -> impatient.publish(task("hello"), access("@letmepost")))
        .isInstanceOfSatisfying(
            CallFailure.class,
            e -> {
              assertThat(e.result()).isInstanceOf(CallResult.Unclear.class);
              assertThat(((CallResult.Unclear) e.result()).code())
                  .isEqualTo(ErrorCodes.PLATFORM_TIMEOUT);
              assertThat(e.getMessage()).doesNotContain(TOKEN).doesNotContain("/bot");
            });
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void malformedSuccessIsUnclear() throws Exception {
    server.enqueue(json(200, "{\"ok\":true,\"result\":true}"));

    CallResult result = connector.publish(task("hello"), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Unclear.class);
    assertThat(((CallResult.Unclear) result).code()).isEqualTo(ErrorCodes.MALFORMED_RESPONSE);
    assertThat(server.getRequestCount()).isEqualTo(1);
  }

  @Test
  void albumIsUnsupportedBeforeAnyRequest() {
    PublishTask two =
        task(
            "two",
            List.of(
                new PublishTask.Media("https://img.example/1.jpg", null),
                new PublishTask.Media("https://img.example/2.jpg", null)));

    CallResult result = connector.publish(two, access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void firstCommentIsUnsupportedBeforeAnyRequest() {
    PublishTask withComment =
        ConnectorTestKit.task("telegram", "acc_1")
            .ids("t_1", "b_1", "fp")
            .text("hi")
            .firstComment("more")
            .at(1L, 2L)
            .build();

    CallResult result = connector.publish(withComment, access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.UNSUPPORTED_CONTENT);
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void tokenThatCannotSitInAUrlIsRefusedWithoutQuotingIt() {
    String badToken = "123:abc def/../" + TOKEN;

    CallResult result = connector.publish(task("hello"), access("@letmepost", badToken));

    assertThat(result).isInstanceOf(CallResult.Failed.class);
    assertThat(((CallResult.Failed) result).code()).isEqualTo(ErrorCodes.ACCOUNT_DISCONNECTED);
    assertThat(((CallResult.Failed) result).message()).doesNotContain(TOKEN).contains("acc_1");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void reconcileIsUnknownWithoutAnyRequest() {
    CallResult result = connector.reconcile(task("hello"), access("@letmepost"));

    assertThat(result).isInstanceOf(CallResult.Unknown.class);
    assertThat(((CallResult.Unknown) result).message()).contains("telegram", "t_1", "acc_1");
    assertThat(server.getRequestCount()).isZero();
  }

  @Test
  void secretAppearsInNoMessageOverAllFailureAnswers() throws Exception {
    String echo =
        "{\"ok\":false,\"error_code\":%d,\"description\":\"Bad token /bot" + TOKEN + "/\"}";
    List<MockResponse> answers =
        List.of(
            json(400, String.format(echo, 400)),
            json(401, String.format(echo, 401)),
            json(403, String.format(echo, 403)),
            json(404, String.format(echo, 404)),
            json(409, String.format(echo, 409)),
            json(429, String.format(echo, 429)),
            json(500, String.format(echo, 500)),
            json(503, String.format(echo, 503)).addHeader("Retry-After", "5"),
            json(302, TOKEN),
            json(200, "{\"ok\":true,\"result\":{\"text\":\"" + TOKEN + "\"}}"),
            json(200, TOKEN),
            new MockResponse().setSocketPolicy(SocketPolicy.DISCONNECT_AFTER_REQUEST));
    List<String> messages = new ArrayList<>();
    for (MockResponse answer : answers) {
      server.enqueue(answer);
      messages.add(outcomeMessage(() -> connector.publish(task("hello"), access("@letmepost"))));
    }
    TelegramConnector impatient =
        new TelegramConnector(
            PlatformHttp.create(Duration.ofMillis(500), Duration.ofMillis(300), CLOCK));
    server.enqueue(new MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE));
    messages.add(outcomeMessage(() -> impatient.publish(task("hello"), access("@letmepost"))));
    messages.add(outcomeMessage(() -> connector.reconcile(task("hello"), access("@letmepost"))));

    assertThat(messages).hasSize(answers.size() + 2).allSatisfy(m -> assertThat(m).isNotBlank());
    assertThat(messages).noneMatch(m -> m.contains(TOKEN));
    assertThat(String.join("\n", messages)).doesNotContain("<bot-token>");
    assertThat(server.getRequestCount()).isEqualTo(answers.size() + 1);
  }

  private interface Call {
    CallResult run();
  }

  private static String outcomeMessage(Call call) {
    try {
      CallResult result = call.run();
      assertThat(result).isNotInstanceOf(CallResult.Published.class);
      return result.message();
    } catch (CallFailure e) {
      return e.getMessage() + " | " + e.result().message();
    }
  }

  private RecordedRequest take() throws InterruptedException {
    RecordedRequest request = server.takeRequest(2, TimeUnit.SECONDS);
    assertThat(request).as("a request reached the fake Bot API server").isNotNull();
    return request;
  }

  private AccountAccess access(String handle) {
    return access(handle, TOKEN);
  }

  private AccountAccess access(String handle, String token) {
    Account account =
        new Account(
            "acc_1",
            "principal_1",
            "telegram",
            handle,
            Account.Status.connected,
            "env:X",
            false,
            server.url("/").toString());
    return ConnectorTestKit.access(account, token);
  }

  private static PublishTask task(String text) {
    return task(text, List.of());
  }

  private static PublishTask task(String text, List<PublishTask.Media> media) {
    return ConnectorTestKit.task("telegram", "acc_1")
        .ids("t_1", "b_1", "fp_1")
        .text(text)
        .media(media)
        .at(1_772_366_400_000L, 1_772_370_000_000L)
        .build();
  }
}
