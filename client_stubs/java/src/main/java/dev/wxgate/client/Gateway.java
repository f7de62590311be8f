package dev.wxgate.client;

import io.grpc.CallCredentials;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ClientInterceptors;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContextBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * A connection to wxgate whose calls carry the account ({@code x-wx-appid}) and the
 * caller's API key, over plaintext, TLS or mTLS. Make stubs on {@link #channel()}:
 *
 * <pre>{@code
 * try (Gateway gw = Gateway.builder("127.0.0.1:50051").appid("wx1111111111111111").build()) {
 *   var users = UserServiceGrpc.newBlockingStub(gw.channel());
 *   var user = WxgateException.call(() -> users.getUserInfo(request));
 * }
 * }</pre>
 */
public final class Gateway implements AutoCloseable {
  /** The metadata key naming the WeChat account a call is for. */
  public static final Metadata.Key<String> APPID =
      Metadata.Key.of("x-wx-appid", Metadata.ASCII_STRING_MARSHALLER);

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final ManagedChannel managed;
  private final Channel channel;

  private Gateway(ManagedChannel managed, Channel channel) {
    this.managed = managed;
    this.channel = channel;
  }

  public static Builder builder(String target) {
    return new Builder(target);
  }

  /** The channel to make stubs on; its calls carry the account and API key. */
  public Channel channel() {
    return channel;
  }

  /** The stub, for calls to {@code appid} rather than the gateway's account. */
  public static <S extends AbstractStub<S>> S forAccount(S stub, String appid) {
    Metadata headers = new Metadata();
    headers.put(APPID, appid);
    return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
  }

  @Override
  public void close() {
    managed.shutdownNow();
    try {
      managed.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  public static final class Builder {
    private final String target;
    private String appid;
    private String apiKey;
    private boolean tls;
    private File caFile;
    private File certFile;
    private File keyFile;
    private final List<ClientInterceptor> interceptors = new ArrayList<>();

    private Builder(String target) {
      this.target = target;
    }

    /** The account of every call not made through {@link #forAccount}. */
    public Builder appid(String appid) {
      this.appid = appid;
      return this;
    }

    /** The caller's API key, sent as call credentials ("authorization: Bearer"). */
    public Builder apiKey(String apiKey) {
      this.apiKey = apiKey;
      return this;
    }

    /** TLS, trusting caFile (null: the system's roots). */
    public Builder tls(File caFile) {
      this.tls = true;
      this.caFile = caFile;
      return this;
    }

    /** mTLS: TLS trusting caFile, presenting the client certificate and key (PEM). */
    public Builder mtls(File caFile, File certFile, File keyFile) {
      tls(caFile);
      this.certFile = certFile;
      this.keyFile = keyFile;
      return this;
    }

    /** Further interceptors, outermost first. */
    public Builder intercept(ClientInterceptor... more) {
      interceptors.addAll(List.of(more));
      return this;
    }

    public Gateway build() {
      NettyChannelBuilder builder = NettyChannelBuilder.forTarget(target);
      if (tls) {
        try {
          SslContextBuilder ssl = GrpcSslContexts.forClient();
          if (caFile != null) ssl.trustManager(caFile);
          if (certFile != null) ssl.keyManager(certFile, keyFile);
          builder.sslContext(ssl.build());
        } catch (IOException e) {
          throw new UncheckedIOException("wxgate: TLS set-up", e);
        }
      } else {
        builder.usePlaintext();
      }
      ManagedChannel managed = builder.build();
      List<ClientInterceptor> all = new ArrayList<>(interceptors);
      if (apiKey != null) all.add(withCredentials(new ApiKey(apiKey)));
      if (appid != null) all.add(defaultAccount(appid));
      // ClientInterceptors.intercept runs the last one first.
      List<ClientInterceptor> reversed = new ArrayList<>(all);
      java.util.Collections.reverse(reversed);
      return new Gateway(managed, ClientInterceptors.intercept(managed, reversed));
    }
  }

  /** Adds x-wx-appid unless the call names an account itself. */
  private static ClientInterceptor defaultAccount(String appid) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
          @Override
          public void start(Listener<R> listener, Metadata headers) {
            if (!headers.containsKey(APPID)) headers.put(APPID, appid);
            super.start(listener, headers);
          }
        };
      }
    };
  }

  private static ClientInterceptor withCredentials(CallCredentials credentials) {
    return new ClientInterceptor() {
      @Override
      public <Q, R> ClientCall<Q, R> interceptCall(
          MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return next.newCall(method, options.withCallCredentials(credentials));
      }
    };
  }

  /**
   * The caller's API key. Sent over plaintext too: use plaintext only on loopback or
   * behind a sidecar that encrypts.
   */
  private static final class ApiKey extends CallCredentials {
    private final String key;

    ApiKey(String key) {
      this.key = key;
    }

    @Override
    public void applyRequestMetadata(RequestInfo info, Executor executor, MetadataApplier applier) {
      Metadata headers = new Metadata();
      headers.put(AUTHORIZATION, "Bearer " + key);
      applier.apply(headers);
    }
  }
}
