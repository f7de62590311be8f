package dev.wxgate.example;

import dev.wxgate.client.EventSubscriber;
import dev.wxgate.client.Gateway;
import dev.wxgate.client.WxgateException;
import wechat.mp.v1.TagOuterClass.CreateTagRequest;
import wechat.mp.v1.TagOuterClass.Tag;
import wechat.mp.v1.TagServiceGrpc;
import wechat.mp.v1.User.GetUserInfoRequest;
import wechat.mp.v1.UserServiceGrpc;
import wxgate.v1.Event.EventFilter;
import wxgate.v1.Event.SubscribeRequest;

/**
 * Calls wxgate from Java: a follower's profile, a tag created (and one refused, to
 * show a WeChat error), and with --subscribe a subscriber that answers every text
 * message until the process is stopped.
 *
 * <pre>
 * java -cp ... dev.wxgate.example.Example --target 127.0.0.1:50051 --openid o6_bm... [--appid wx...] [--subscribe]
 * </pre>
 */
public final class Example {
  public static void main(String[] args) throws Exception {
    String target = "127.0.0.1:50051", appid = null, openid = "";
    boolean subscribe = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--target" -> target = args[++i];
        case "--appid" -> appid = args[++i];
        case "--openid" -> openid = args[++i];
        case "--subscribe" -> subscribe = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Gateway.Builder builder = Gateway.builder(target).appid(appid);
    String apiKey = System.getenv("WXGATE_API_KEY"); // the caller's key, if the gateway wants one
    if (apiKey != null) builder.apiKey(apiKey);
    try (Gateway gateway = builder.build()) {
      var users = UserServiceGrpc.newBlockingStub(gateway.channel());
      String id = openid;
      var user = WxgateException.call(
          () -> users.getUserInfo(GetUserInfoRequest.newBuilder().setOpenid(id).build()));
      System.out.printf("user %s: %s, %s, tags %s%n", user.getOpenid(), user.getNickname(),
          user.getCity(), user.getTagidListList());

      var tags = TagServiceGrpc.newBlockingStub(gateway.channel());
      var created = tags.createTag(
          CreateTagRequest.newBuilder().setTag(Tag.newBuilder().setName("VIP")).build());
      System.out.printf("tag created: %d %s%n", created.getTag().getId(), created.getTag().getName());
      try {
        WxgateException.call(() -> tags.createTag(CreateTagRequest.getDefaultInstance())); // no tag
      } catch (WxgateException e) {
        System.out.printf("tag refused: errcode %d (%s), rid \"%s\", reason %s%n", e.errcode(),
            e.errmsg(), e.rid(), e.reason());
      }
      if (!subscribe) return;

      var subscriber = new EventSubscriber(gateway.channel(), SubscribeRequest.newBuilder()
          .setFilter(EventFilter.newBuilder().addMsgTypes("text")).setReplies(true).build())
          .onRetry((e, wait) -> System.err.printf("resuming in %s: %s%n", wait, e.getStatus()));
      Thread main = Thread.currentThread();
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        subscriber.stop();
        try {
          main.join(5000);
        } catch (InterruptedException ignored) {
          // exiting anyway
        }
      }));
      subscriber.run(event -> {
        System.out.printf("%s says \"%s\"%n", event.getFromUserName(), event.getText().getContent());
        System.out.flush();
        return EventSubscriber.textReply("you said: " + event.getText().getContent());
      });
    }
  }
}
