package dev.wxgate.client;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A failed call whose status carries a {@code google.rpc.ErrorInfo}: a WeChat error
 * (reason {@code WECHAT_<errcode>}, domain {@value #WECHAT_DOMAIN}, with errcode,
 * errmsg and rid) or one of the gateway's own (reason such as {@code UNKNOWN_APPID};
 * the README's reason table). A {@link StatusRuntimeException}, so existing handlers
 * still catch it.
 */
public final class WxgateException extends StatusRuntimeException {
  /** ErrorInfo.domain of the errors WeChat answered. */
  public static final String WECHAT_DOMAIN = "api.weixin.qq.com";

  private final ErrorInfo info;

  private WxgateException(StatusRuntimeException cause, ErrorInfo info) {
    super(cause.getStatus().withCause(cause), cause.getTrailers());
    this.info = info;
  }

  /**
   * The WxgateException of a failed call, or {@code t} itself (as a runtime
   * exception) when it is no gRPC status or carries no ErrorInfo.
   */
  public static RuntimeException from(Throwable t) {
    if (t instanceof WxgateException w) return w;
    if (t instanceof StatusRuntimeException e) {
      com.google.rpc.Status status = StatusProto.fromThrowable(e);
      if (status != null) {
        for (Any detail : status.getDetailsList()) {
          if (!detail.is(ErrorInfo.class)) continue;
          try {
            return new WxgateException(e, detail.unpack(ErrorInfo.class));
          } catch (InvalidProtocolBufferException ignored) {
            // Not a readable ErrorInfo: the status as it is.
          }
        }
      }
    }
    return t instanceof RuntimeException r ? r : new RuntimeException(t);
  }

  /** Runs a call, turning its failure into a WxgateException where it can. */
  public static <T> T call(Supplier<T> call) {
    try {
      return call.get();
    } catch (RuntimeException e) {
      throw from(e);
    }
  }

  public String reason() {
    return info.getReason();
  }

  public String domain() {
    return info.getDomain();
  }

  public Map<String, String> metadata() {
    return info.getMetadataMap();
  }

  /** Whether WeChat itself answered the error. */
  public boolean isWeChat() {
    return WECHAT_DOMAIN.equals(info.getDomain());
  }

  /** WeChat's errcode; 0 for the gateway's own errors. */
  public int errcode() {
    try {
      return Integer.parseInt(info.getMetadataOrDefault("errcode", "0"));
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  public String errmsg() {
    return info.getMetadataOrDefault("errmsg", "");
  }

  /** WeChat's request id, for WeChat's support. */
  public String rid() {
    return info.getMetadataOrDefault("rid", "");
  }

  @Override
  public String getMessage() {
    return super.getMessage() + " (reason " + reason() + ")";
  }
}
