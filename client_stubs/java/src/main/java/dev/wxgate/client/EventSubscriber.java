package dev.wxgate.client;

import io.grpc.Channel;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Duration;
import java.util.Iterator;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiConsumer;
import wechat.mp.v1.Events.Event;
import wechat.mp.v1.Replies.Reply;
import wechat.mp.v1.Replies.TextReply;
import wxgate.v1.EventServiceGrpc;
import wxgate.v1.EventServiceGrpc.EventServiceBlockingStub;
import wxgate.v1.Event.ReplyRequest;
import wxgate.v1.Event.SubscribeRequest;
import wxgate.v1.Event.SubscribeResponse;

/**
 * Streams {@code EventService/Subscribe} into a {@link Handler}, one event at a time,
 * sending the handler's passive reply and saving each handled cursor in a
 * {@link CursorStore}. When the stream ends with UNAVAILABLE, RESOURCE_EXHAUSTED (it
 * fell behind), ABORTED or INTERNAL, or the server closes it, it subscribes again
 * after the last handled cursor, waiting between attempts (doubling from the minimum
 * backoff up to the maximum, back to the minimum after an event): nothing lost,
 * nothing handled twice, while the gateway retains the events.
 *
 * <pre>{@code
 * var subscriber = new EventSubscriber(gw.channel(), SubscribeRequest.newBuilder()
 *     .setFilter(EventFilter.newBuilder().addMsgTypes("text")).setReplies(true).build());
 * subscriber.run(event -> EventSubscriber.textReply("you said " + event.getText().getContent()));
 * }</pre>
 */
public final class EventSubscriber {
  /** Handles one event; the reply it returns (null: "success") answers the push. */
  @FunctionalInterface
  public interface Handler {
    Reply handle(Event event) throws Exception;
  }

  private static final Set<Status.Code> RESUMABLE =
      Set.of(Status.Code.UNAVAILABLE, Status.Code.RESOURCE_EXHAUSTED, Status.Code.ABORTED,
          Status.Code.INTERNAL);

  private final EventServiceBlockingStub events;
  private final SubscribeRequest request;
  private CursorStore store = CursorStore.inMemory();
  private Duration minBackoff = Duration.ofMillis(100);
  private Duration maxBackoff = Duration.ofSeconds(10);
  private BiConsumer<StatusRuntimeException, Duration> onRetry = (e, wait) -> {};
  private volatile Context.CancellableContext running;
  private volatile boolean stopped;

  /**
   * request: the filter, group, replies, raw XML, and where to start when the store
   * has no cursor (after_cursor unset: live events only).
   */
  public EventSubscriber(Channel channel, SubscribeRequest request) {
    this.events = EventServiceGrpc.newBlockingStub(channel);
    this.request = request;
  }

  public EventSubscriber store(CursorStore store) {
    this.store = store;
    return this;
  }

  public EventSubscriber backoff(Duration min, Duration max) {
    this.minBackoff = min;
    this.maxBackoff = max;
    return this;
  }

  /** Hears of each resumable end before the wait. */
  public EventSubscriber onRetry(BiConsumer<StatusRuntimeException, Duration> onRetry) {
    this.onRetry = onRetry;
    return this;
  }

  /**
   * Handles events until {@link #stop()} (returns), the handler or the store throws,
   * or the stream ends with an error not worth retrying (throws it, a
   * WxgateException where it carries an ErrorInfo).
   */
  public void run(Handler handler) throws Exception {
    Duration wait = minBackoff;
    while (!stopped) {
      StatusRuntimeException ended;
      boolean[] handled = {false};
      Context.CancellableContext context = Context.current().withCancellation();
      running = context;
      try {
        context.call(() -> {
          once(handler, handled);
          return null;
        });
        ended = Status.UNAVAILABLE.withDescription("the gateway closed the stream").asRuntimeException();
      } catch (StatusRuntimeException e) {
        if (stopped) return;
        if (!RESUMABLE.contains(e.getStatus().getCode())) throw WxgateException.from(e);
        ended = e;
      } finally {
        context.cancel(null);
      }
      if (handled[0]) wait = minBackoff;
      onRetry.accept(ended, wait);
      synchronized (this) {
        if (!stopped) wait(wait.toMillis());
      }
      wait = wait.multipliedBy(2).compareTo(maxBackoff) > 0 ? maxBackoff : wait.multipliedBy(2);
    }
  }

  /** Ends {@link #run} from another thread; the event being handled is finished first. */
  public void stop() {
    stopped = true;
    Context.CancellableContext context = running;
    if (context != null) context.cancel(null);
    synchronized (this) {
      notifyAll();
    }
  }

  private void once(Handler handler, boolean[] handled) throws Exception {
    SubscribeRequest.Builder req = request.toBuilder();
    OptionalLong cursor = store.load();
    if (cursor.isPresent()) req.setAfterCursor(cursor.getAsLong());
    Iterator<SubscribeResponse> stream = events.subscribe(req.build());
    while (stream.hasNext()) {
      Event event = stream.next().getEvent();
      Reply reply = handler.handle(event);
      RuntimeException replyError = null;
      if (request.getReplies()) {
        // Outside the stream's context, so that stop() does not lose the reply.
        try {
          Context.ROOT.call(() -> {
            reply(events, event, reply);
            return null;
          });
        } catch (RuntimeException e) {
          replyError = e;
        }
      }
      store.save(event.getCursor()); // handled is handled, even if stopped meanwhile
      handled[0] = true;
      if (replyError != null && !stopped) throw replyError;
    }
  }

  /**
   * Answers a push (reply null: "success" now). A push whose reply window has passed,
   * or that was answered already, is not an error: WeChat has had its answer; a
   * customer-service message reaches the user now.
   */
  public static void reply(EventServiceBlockingStub events, Event event, Reply reply) {
    ReplyRequest.Builder request = ReplyRequest.newBuilder().setEventId(event.getId());
    if (reply != null) request.setReply(reply);
    try {
      events.reply(request.build());
    } catch (StatusRuntimeException e) {
      if (e.getStatus().getCode() != Status.Code.FAILED_PRECONDITION) throw WxgateException.from(e);
    }
  }

  /** A passive reply with a text message. */
  public static Reply textReply(String content) {
    return Reply.newBuilder().setText(TextReply.newBuilder().setContent(content)).build();
  }
}
