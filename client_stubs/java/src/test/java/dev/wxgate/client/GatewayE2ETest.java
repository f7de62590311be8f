package dev.wxgate.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import wechat.mp.v1.Material.GetMediaRequest;
import wechat.mp.v1.Material.GetMediaResponse;
import wechat.mp.v1.Material.MaterialMediaType;
import wechat.mp.v1.MaterialServiceGrpc;
import wechat.mp.v1.TagOuterClass.CreateTagRequest;
import wechat.mp.v1.TagOuterClass.Tag;
import wechat.mp.v1.TagServiceGrpc;
import wechat.mp.v1.User.GetUserInfoRequest;
import wechat.mp.v1.UserServiceGrpc;
import wxgate.file.v1.File.FileChunk;
import wxgate.v1.Event.EventFilter;
import wxgate.v1.Event.SubscribeRequest;

/**
 * The Java client against a live gateway and the fake WeChat. tests/e2e/client_test.py
 * starts them and sets WXGATE_E2E_*; without those the tests are skipped. Run by
 * ctest as e2e_java_client (mvn test).
 */
class GatewayE2ETest {
  static final String OTHER_APPID = "wx2222222222222222"; // well formed, not configured
  static final long TIMEOUT_S = 60;
  static String target = System.getenv("WXGATE_E2E_TARGET");
  static String appid = System.getenv("WXGATE_E2E_APPID");
  static String openid = System.getenv("WXGATE_E2E_OPENID");
  static Gateway gateway;

  @BeforeAll
  static void connect() {
    assumeTrue(target != null, "no live gateway: run through tests/e2e/client_test.py");
    gateway = Gateway.builder(target).appid(appid).build();
  }

  @AfterAll
  static void close() {
    if (gateway != null) gateway.close();
  }

  static GetUserInfoRequest follower() {
    return GetUserInfoRequest.newBuilder().setOpenid(openid).build();
  }

  /** Pushes a text message through the fake's push tool; returns the HTTP answer. */
  static String push(String content, int msgId) throws Exception {
    Process p = new ProcessBuilder(System.getenv("WXGATE_E2E_PUSH_TEXT"), content, String.valueOf(msgId))
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.waitFor(), out);
    assertTrue(out.contains("HTTP 200"), out);
    return out;
  }

  @Test
  void getUserInfoReturnsTheFakesFollower() {
    var user = UserServiceGrpc.newBlockingStub(gateway.channel()).getUserInfo(follower());
    assertEquals(openid, user.getOpenid());
    assertEquals("广州", user.getCity());
    assertEquals(List.of(128L, 2L), user.getTagidListList().stream().map(Number::longValue).toList());
  }

  @Test
  void weChatErrorDecodesToErrcode() {
    var tags = TagServiceGrpc.newBlockingStub(gateway.channel());
    var e = assertThrows(WxgateException.class,
        () -> WxgateException.call(() -> tags.createTag(CreateTagRequest.getDefaultInstance())));
    assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
    assertEquals("WECHAT_47001", e.reason());
    assertTrue(e.isWeChat());
    assertEquals(47001, e.errcode());
    assertTrue(e.errmsg().contains("data format error"), e.errmsg());
    var created = tags.createTag(CreateTagRequest.newBuilder().setTag(Tag.newBuilder().setName("广东")).build());
    assertTrue(created.getTag().getId() > 0);
  }

  @Test
  void gatewayReasonForAnUnknownAccount() {
    var users = Gateway.forAccount(UserServiceGrpc.newBlockingStub(gateway.channel()), OTHER_APPID);
    var e = assertThrows(WxgateException.class, () -> WxgateException.call(() -> users.getUserInfo(follower())));
    assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    assertEquals("UNKNOWN_APPID", e.reason());
    assertEquals(OTHER_APPID, e.metadata().get("appid"));
    assertFalse(e.isWeChat());
  }

  @Test
  void apiKeyGoesOutAsCallCredentials() {
    // Anonymous callers are let in; a key no caller has is refused, never ignored.
    try (Gateway keyed = Gateway.builder(target).appid(appid).apiKey("not-a-configured-key").build()) {
      var users = UserServiceGrpc.newBlockingStub(keyed.channel());
      var e = assertThrows(WxgateException.class, () -> WxgateException.call(() -> users.getUserInfo(follower())));
      assertEquals("CALLER_UNAUTHENTICATED", e.reason());
    }
  }

  /** The second gateway requires a client certificate and lets in only spiffe://test/shop. */
  @Test
  void mtlsCallerIsKnownByItsCertificate() {
    String mtlsTarget = System.getenv("WXGATE_E2E_MTLS_TARGET");
    assumeTrue(mtlsTarget != null, "no mTLS gateway: run through tests/e2e/client_test.py");
    File ca = new File(System.getenv("WXGATE_E2E_CA_FILE"));
    File cert = new File(System.getenv("WXGATE_E2E_CLIENT_CERT"));
    File key = new File(System.getenv("WXGATE_E2E_CLIENT_KEY"));
    try (Gateway mtls = Gateway.builder(mtlsTarget).appid(appid).mtls(ca, cert, key).build()) {
      var user = UserServiceGrpc.newBlockingStub(mtls.channel())
          .withDeadlineAfter(TIMEOUT_S, TimeUnit.SECONDS).getUserInfo(follower());
      assertEquals(openid, user.getOpenid());
      assertEquals("广州", user.getCity());
    }
    // TLS alone, trusting the same CA: the handshake fails, so the call never reaches
    // the gateway's admission (which would say why, in an ErrorInfo).
    try (Gateway tlsOnly = Gateway.builder(mtlsTarget).appid(appid).tls(ca).build()) {
      var users = UserServiceGrpc.newBlockingStub(tlsOnly.channel())
          .withDeadlineAfter(TIMEOUT_S, TimeUnit.SECONDS);
      var e = assertThrows(StatusRuntimeException.class,
          () -> WxgateException.call(() -> users.getUserInfo(follower())));
      assertFalse(e instanceof WxgateException, e.toString());
      assertEquals(Status.Code.UNAVAILABLE, e.getStatus().getCode(), e.toString());
      System.out.println("without a client certificate: " + e + ", caused by " + e.getCause());
    }
  }

  @Test
  void uploadInPiecesAndDownload(@TempDir Path dir) throws Exception {
    var material = MaterialServiceGrpc.newStub(gateway.channel());
    byte[] image = new byte[3 * FileTransfer.PIECE_SIZE + 1000];
    Arrays.fill(image, (byte) 0xd8);
    AtomicInteger read = new AtomicInteger();
    InputStream counting = new FilterInputStream(new ByteArrayInputStream(image)) {
      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) read.addAndGet(n);
        return n;
      }
    };
    var image_type = MaterialMediaType.MATERIAL_MEDIA_TYPE_IMAGE;
    var uploaded = FileTransfer.uploadMedia(material, image_type, "photo.jpg", counting);
    assertFalse(uploaded.getMediaId().isEmpty());
    assertEquals(image.length, read.get());
    Files.write(dir.resolve("photo.jpg"), image);
    assertFalse(FileTransfer.uploadMedia(material, image_type, dir.resolve("photo.jpg")).getMediaId().isEmpty());

    var blocking = MaterialServiceGrpc.newBlockingStub(gateway.channel());
    FileChunk meta = FileTransfer.downloadMedia(blocking, uploaded.getMediaId(), dir.resolve("download"));
    byte[] written = Files.readAllBytes(dir.resolve("download"));
    assertEquals("image/jpeg", meta.getContentType());
    assertTrue(written.length > 0);
    assertEquals(meta.getSize(), written.length);
    var out = new ByteArrayOutputStream();
    FileTransfer.download(blocking.getMedia(GetMediaRequest.newBuilder().setMediaId(uploaded.getMediaId()).build()),
        GetMediaResponse::getFile, out);
    assertArrayEquals(written, out.toByteArray());
  }

  /** Cuts the live Subscribe stream as a network failure would: its reader sees UNAVAILABLE. */
  static final class Cutter implements ClientInterceptor {
    final AtomicReference<Runnable> cut = new AtomicReference<>();

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      ClientCall<Q, R> call = next.newCall(method, options);
      if (!method.getFullMethodName().equals("wxgate.v1.EventService/Subscribe")) return call;
      return new SimpleForwardingClientCall<>(call) {
        volatile boolean isCut;

        @Override
        public void start(Listener<R> listener, Metadata headers) {
          cut.set(() -> {
            isCut = true;
            delegate().cancel("cut by the test", null);
          });
          super.start(new SimpleForwardingClientCallListener<>(listener) {
            @Override
            public void onClose(Status status, Metadata trailers) {
              super.onClose(isCut ? Status.UNAVAILABLE.withDescription("cut by the test") : status, trailers);
            }
          }, headers);
        }
      };
    }
  }

  record Handled(String content, long cursor) {}

  @Test
  void subscriberRepliesIsCutAndResumesWithoutLossOrRepeat() throws Exception {
    Cutter cutter = new Cutter();
    try (Gateway cuttable = Gateway.builder(target).appid(appid).intercept(cutter).build()) {
      BlockingQueue<Handled> handled = new LinkedBlockingQueue<>();
      CursorStore store = CursorStore.inMemory();
      AtomicInteger retries = new AtomicInteger();
      var request = SubscribeRequest.newBuilder()
          .setFilter(EventFilter.newBuilder().addMsgTypes("text")).setReplies(true).build();
      List<EventSubscriber> started = new ArrayList<>();
      List<CompletableFuture<Void>> runs = new ArrayList<>();
      Runnable start = () -> {
        var subscriber = new EventSubscriber(cuttable.channel(), request).store(store)
            .onRetry((e, wait) -> retries.incrementAndGet());
        started.add(subscriber);
        runs.add(CompletableFuture.runAsync(() -> {
          try {
            subscriber.run(event -> {
              handled.add(new Handled(event.getText().getContent(), event.getCursor()));
              return EventSubscriber.textReply("re: " + event.getText().getContent());
            });
          } catch (Exception e) {
            throw new RuntimeException(e);
          }
        }));
      };
      start.run();

      // Live only: push until a push is delivered and replied to in the HTTP answer.
      List<String> pushed = new ArrayList<>();
      int msgId = 5000;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
      while (true) {
        String content = "hello " + ++msgId;
        if (push(content, msgId).contains("<Content><![CDATA[re: " + content + "]]></Content>")) {
          pushed.add(content);
          break;
        }
        assertTrue(System.nanoTime() < deadline, "no reply in the HTTP answer");
        Thread.sleep(50);
      }
      List<Handled> got = new ArrayList<>();
      Handled first = next(handled);
      while (!first.content().equals(pushed.get(0)) && first.content().startsWith("hello ")) first = next(handled);
      got.add(first);

      cutter.cut.get().run();
      for (String content : List.of("during the cut 1", "during the cut 2", "after the cut")) {
        push(content, ++msgId);
        pushed.add(content);
      }
      while (got.size() < pushed.size()) got.add(next(handled));
      assertTrue(retries.get() > 0, "the subscriber never resumed: was the stream cut?");

      // A new subscriber on the same store starts after the last handled cursor.
      started.get(0).stop();
      runs.get(0).get(TIMEOUT_S, TimeUnit.SECONDS);
      push("while stopped", ++msgId);
      pushed.add("while stopped");
      start.run();
      got.add(next(handled));
      started.get(1).stop();
      runs.get(1).get(TIMEOUT_S, TimeUnit.SECONDS);

      assertEquals(pushed, got.stream().map(Handled::content).toList());
      for (int i = 1; i < got.size(); i++) {
        assertTrue(Long.compareUnsigned(got.get(i).cursor(), got.get(i - 1).cursor()) > 0, got.toString());
      }
      assertNull(handled.poll(1, TimeUnit.SECONDS), "an event delivered twice or unexpected");
    }
  }

  static Handled next(BlockingQueue<Handled> handled) throws InterruptedException {
    Handled h = handled.poll(TIMEOUT_S, TimeUnit.SECONDS);
    assertNotNull(h, "no event within the timeout");
    return h;
  }

  @Test
  void exampleCallsAndReplies() throws Exception {
    Process example = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), "dev.wxgate.example.Example",
        "--target", target, "--appid", appid, "--openid", openid, "--subscribe")
        .redirectErrorStream(true).start();
    var output = new ByteArrayOutputStream();
    Thread reader = new Thread(() -> {
      try {
        example.getInputStream().transferTo(output);
      } catch (IOException ignored) {
        // the process ended
      }
    });
    reader.start();
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_S);
      for (int msgId = 7000; !push("hi example", msgId).contains("you said: hi example"); msgId++) {
        assertTrue(System.nanoTime() < deadline, "the example never replied: " + output);
        Thread.sleep(50);
      }
    } finally {
      example.destroy(); // SIGTERM: its shutdown hook stops the subscriber
    }
    assertTrue(example.waitFor(TIMEOUT_S, TimeUnit.SECONDS));
    reader.join();
    String out = output.toString(StandardCharsets.UTF_8);
    for (String want : List.of("广州, tags [128, 2]", "tag created: 134", "errcode 47001", "oE2eUser says \"hi example\"")) {
      assertTrue(out.contains(want), "the example's output lacks " + want + ":\n" + out);
    }
  }
}
