"""A thin helper for calling wxgate from Python.

    import wxgate_client
    from wechat.mp.v1 import user_pb2, user_pb2_grpc

    with wxgate_client.connect("127.0.0.1:50051", appid="wx1111111111111111") as client:
        users = client.stub(user_pb2_grpc.UserServiceStub)
        try:
            user = users.GetUserInfo(user_pb2.GetUserInfoRequest(openid="o6_bm..."))
        except grpc.RpcError as e:
            info = wxgate_client.error_info(e)   # google.rpc.ErrorInfo or None
            print(e.code(), info.reason if info else e.details())

The generated modules (wechat.*, wxgate.*, google.rpc.*) must be importable: install
the package (pyproject.toml), or put the build's client_stubs/python/gen directory on
PYTHONPATH (see README.md).

Besides: WxgateError (errcode, errmsg, rid of a failed call), Subscriber (events,
resumed from the last handled cursor, optionally batched), subscribe_batched (a
SubscribeBatched stream as single events), upload_media / download (files in pieces).
"""

import os
import threading

import grpc

from google.rpc import error_details_pb2, status_pb2

# The metadata key that names the WeChat account a call is for.
APPID_METADATA_KEY = "x-wx-appid"
# The trailer that carries a serialized google.rpc.Status with the error's details.
STATUS_DETAILS_KEY = "grpc-status-details-bin"


class _CallDetails(grpc.ClientCallDetails):
    """ClientCallDetails is an interface without a constructor; this one has one."""

    def __init__(self, method, timeout, metadata, credentials, wait_for_ready, compression):
        self.method = method
        self.timeout = timeout
        self.metadata = metadata
        self.credentials = credentials
        self.wait_for_ready = wait_for_ready
        self.compression = compression


class _AppidInterceptor(grpc.UnaryUnaryClientInterceptor, grpc.UnaryStreamClientInterceptor,
                        grpc.StreamUnaryClientInterceptor, grpc.StreamStreamClientInterceptor):
    """Adds key: value to every call's metadata (unless the call sets the key itself);
    by default x-wx-appid."""

    def __init__(self, appid, key=APPID_METADATA_KEY):
        self._appid = appid
        self._key = key

    def _with_appid(self, details):
        metadata = list(details.metadata or [])
        if not any(key == self._key for key, _ in metadata):
            metadata.append((self._key, self._appid))
        return _CallDetails(details.method, details.timeout, metadata, details.credentials,
                            details.wait_for_ready, details.compression)

    def intercept_unary_unary(self, continuation, details, request):
        return continuation(self._with_appid(details), request)

    def intercept_unary_stream(self, continuation, details, request):
        return continuation(self._with_appid(details), request)

    def intercept_stream_unary(self, continuation, details, request_iterator):
        return continuation(self._with_appid(details), request_iterator)

    def intercept_stream_stream(self, continuation, details, request_iterator):
        return continuation(self._with_appid(details), request_iterator)


class Client:
    """A channel to one gateway whose calls are all for one account.

    `channel` is usable with any generated stub; `stub(StubClass)` is shorthand for
    `StubClass(channel)`. Close it (or use it as a context manager) when done.
    """

    def __init__(self, channel):
        self.channel = channel

    def stub(self, stub_class):
        return stub_class(self.channel)

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def connect(target, appid=None, credentials=None, options=None, api_key=None,
            interceptors=()):
    """Opens a channel to the gateway at `target` ("host:port").

    appid: the account every call is for (sent as x-wx-appid); None sends nothing,
        and the gateway uses its default account. account(appid) overrides it per call.
    credentials: grpc.ChannelCredentials for TLS (mtls_credentials for mTLS); None
        opens a plaintext channel.
    api_key: the caller's API key ("authorization: Bearer"): call credentials over
        TLS; on plaintext (loopback, a sidecar's mTLS) the same metadata.
    options: channel options, as for grpc.insecure_channel.
    interceptors: further client interceptors.
    """
    if credentials is None:
        channel = grpc.insecure_channel(target, options=options)
    else:
        if api_key:
            credentials = grpc.composite_channel_credentials(
                credentials, grpc.access_token_call_credentials(api_key))
        channel = grpc.secure_channel(target, credentials, options=options)
    chain = list(interceptors)
    if appid:
        chain.append(_AppidInterceptor(appid))
    if api_key and credentials is None:
        chain.append(_AppidInterceptor(f"Bearer {api_key}", key="authorization"))
    if chain:
        channel = grpc.intercept_channel(channel, *chain)
    return Client(channel)


def mtls_credentials(ca_file=None, cert_file=None, key_file=None):
    """TLS credentials trusting ca_file (None: the system's roots), presenting the
    client certificate in cert_file and key_file (PEM) when given."""
    def read(path):
        if path is None:
            return None
        with open(path, "rb") as f:
            return f.read()
    return grpc.ssl_channel_credentials(read(ca_file), read(key_file), read(cert_file))


def account(appid):
    """Metadata for one call to another account: stub.Method(request, metadata=account(a))."""
    return ((APPID_METADATA_KEY, appid),)


def error_info(rpc_error):
    """The google.rpc.ErrorInfo of a failed call, or None if it carries none.

    wxgate puts it in the grpc-status-details-bin trailer: a google.rpc.Status whose
    details hold the ErrorInfo (reason such as "WECHAT_40003" or "UNKNOWN_APPID",
    domain, and metadata such as errcode, errmsg, rid).
    """
    trailers = rpc_error.trailing_metadata() if hasattr(rpc_error, "trailing_metadata") else None
    for key, value in trailers or ():
        if key != STATUS_DETAILS_KEY:
            continue
        status = status_pb2.Status.FromString(value)
        for detail in status.details:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
                return info
    return None


WECHAT_DOMAIN = "api.weixin.qq.com"


class WxgateError(Exception):
    """A failed call that carries a google.rpc.ErrorInfo: a WeChat error (reason
    "WECHAT_<errcode>", with errcode, errmsg and rid) or one of the gateway's own
    (reason such as "UNKNOWN_APPID"; the README's reason table).

        try:
            user = wxgate_client.call(users.GetUserInfo, request)
        except wxgate_client.WxgateError as e:
            print(e.errcode, e.errmsg, e.rid)
    """

    def __init__(self, rpc_error, info):
        super().__init__(f"{rpc_error.code().name}: {rpc_error.details()} (reason {info.reason})")
        self.code = rpc_error.code()
        self.details = rpc_error.details()
        self.reason = info.reason
        self.domain = info.domain
        self.metadata = dict(info.metadata)
        self.errcode = int(self.metadata.get("errcode", "0") or 0)
        self.errmsg = self.metadata.get("errmsg", "")
        self.rid = self.metadata.get("rid", "")

    @property
    def is_wechat(self):
        return self.domain == WECHAT_DOMAIN

    @classmethod
    def of(cls, rpc_error):
        """The WxgateError of a grpc.RpcError, or None when it carries no ErrorInfo."""
        info = error_info(rpc_error)
        return cls(rpc_error, info) if info is not None else None


def call(method, request, **kwargs):
    """Calls a stub method; a failure with an ErrorInfo raises WxgateError (from the
    grpc.RpcError), any other the grpc.RpcError."""
    try:
        return method(request, **kwargs)
    except grpc.RpcError as rpc_error:
        error = WxgateError.of(rpc_error)
        if error is None:
            raise
        raise error from rpc_error


class MemoryCursorStore:
    """Keeps the last handled cursor for the life of the process. A store of your
    own (a file, Redis, a database row) has the same two methods."""

    def __init__(self):
        self.cursor = None

    def load(self):
        """The saved cursor, or None."""
        return self.cursor

    def save(self, cursor):
        self.cursor = cursor


def single_events(batches):
    """Iterates a SubscribeBatched stream (SubscribeBatchedResponse messages) as
    single SubscribeResponse events, in order: each is handled, replied to and its
    cursor saved exactly as one from Subscribe."""
    for batch in batches:
        yield from batch.events


def subscribe_batched(events_stub, request, max_batch=0, **kwargs):
    """Opens EventService/SubscribeBatched for `request` (a SubscribeRequest) and
    returns (call, events): `call` cancels the stream, `events` iterates it as single
    SubscribeResponse events. max_batch: at most this many events per stream message
    (0: the gateway's default, 100). A subscriber that keeps up gets one event per
    message; one that falls behind gets what is waiting in fewer, larger messages.

        call, events = wxgate_client.subscribe_batched(stub, event_pb2.SubscribeRequest())
        for response in events:
            handle(response.event)
    """
    from wxgate.v1 import event_pb2
    batched = event_pb2.SubscribeBatchedRequest(max_batch=max_batch)
    batched.subscription.CopyFrom(request)
    call = events_stub.SubscribeBatched(batched, **kwargs)
    return call, single_events(call)


class Subscriber:
    """Streams EventService/Subscribe into a handler, one event at a time, sends the
    handler's passive reply and saves each handled cursor in a store. With max_batch
    it reads SubscribeBatched instead (several events per stream message when it is
    behind; 0: the gateway's default size): the handler still sees one event at a
    time and each cursor is saved once its event is handled. When the stream
    ends with UNAVAILABLE, RESOURCE_EXHAUSTED (it fell behind), ABORTED or INTERNAL,
    or the server closes it, it subscribes again after the last handled cursor,
    waiting between attempts (doubling from min_backoff up to max_backoff, back to
    min_backoff after an event): nothing lost, nothing handled twice.

        subscriber = Subscriber(client, event_pb2.SubscribeRequest(replies=True))
        subscriber.run(lambda event: text_reply("you said " + event.text.content))

    request: filter, group, replies, raw XML; after_cursor is where to start when
    the store has none (unset: live events only).
    max_batch: None reads Subscribe (one event per message); a number, SubscribeBatched.
    """

    RESUMABLE = (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.RESOURCE_EXHAUSTED,
                 grpc.StatusCode.ABORTED, grpc.StatusCode.INTERNAL)

    def __init__(self, client, request=None, store=None, min_backoff=0.1, max_backoff=10.0,
                 on_retry=None, max_batch=None):
        from wxgate.v1 import event_pb2, event_pb2_grpc
        self._events = event_pb2_grpc.EventServiceStub(client.channel)
        self._request = request if request is not None else event_pb2.SubscribeRequest()
        self.store = store if store is not None else MemoryCursorStore()
        self._min, self._max = min_backoff, max_backoff
        self._on_retry = on_retry
        self._max_batch = max_batch
        self._stopped = threading.Event()
        self._lock = threading.Lock()
        self._call = None

    def run(self, handler):
        """Handles events until stop() (returns) or the stream ends with an error not
        worth retrying (raises it, a WxgateError where it carries an ErrorInfo).
        handler(event) returns a wechat.mp.v1.Reply, or None for "success"."""
        wait = self._min
        while not self._stopped.is_set():
            handled = False
            try:
                handled = self._once(handler)
                ended = None  # the server closed the stream
            except grpc.RpcError as rpc_error:
                if self._stopped.is_set():
                    return
                if rpc_error.code() not in self.RESUMABLE:
                    raise WxgateError.of(rpc_error) or rpc_error
                handled, ended = getattr(rpc_error, "_wxgate_handled", False), rpc_error
            if handled:
                wait = self._min
            if self._on_retry:
                self._on_retry(ended, wait)
            if self._stopped.wait(wait):
                return
            wait = min(2 * wait, self._max)

    def stop(self):
        """Ends run() from another thread; the event being handled is finished first."""
        self._stopped.set()
        with self._lock:
            if self._call is not None:
                self._call.cancel()

    def _once(self, handler):
        request = type(self._request)()
        request.CopyFrom(self._request)
        cursor = self.store.load()
        if cursor is not None:
            request.after_cursor = cursor
        with self._lock:
            if self._stopped.is_set():
                return False
            if self._max_batch is None:
                self._call = self._events.Subscribe(request)
                responses = self._call
            else:
                self._call, responses = subscribe_batched(self._events, request, self._max_batch)
        handled = False
        try:
            for response in responses:
                event = response.event
                reply = handler(event)
                if request.replies:
                    reply_to(self._events, event, reply)
                self.store.save(event.cursor)  # handled is handled
                handled = True
        except grpc.RpcError as rpc_error:
            rpc_error._wxgate_handled = handled
            raise
        finally:
            with self._lock:
                self._call = None
        return handled


def reply_to(events_stub, event, reply=None):
    """Answers a push (reply None: "success" now). A push whose reply window has
    passed, or that was answered already, is not an error: WeChat has had its answer."""
    from wxgate.v1 import event_pb2
    request = event_pb2.ReplyRequest(event_id=event.id)
    if reply is not None:
        request.reply.CopyFrom(reply)
    try:
        events_stub.Reply(request)
    except grpc.RpcError as rpc_error:
        if rpc_error.code() != grpc.StatusCode.FAILED_PRECONDITION:
            raise


def text_reply(content):
    """A passive reply with a text message."""
    from wechat.mp.v1 import replies_pb2
    return replies_pb2.Reply(text=replies_pb2.TextReply(content=content))


PIECE_SIZE = 64 * 1024  # bytes of a file in each upload message


def pieces(source):
    """Yields a file's bytes in pieces of at most PIECE_SIZE (an empty file: one
    empty piece). source: bytes, a binary file object, or a path."""
    if isinstance(source, (bytes, bytearray)):
        data = bytes(source)
        for i in range(0, max(len(data), 1), PIECE_SIZE):
            yield data[i:i + PIECE_SIZE]
        return
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            yield from pieces(f)
        return
    first = True
    while True:
        piece = source.read(PIECE_SIZE)
        if not piece and not first:
            return
        yield piece
        first = False
        if len(piece) < PIECE_SIZE:
            return


def upload_media(material_stub, media_type, source, filename=None, **kwargs):
    """Uploads temporary media in pieces (MaterialService/UploadMedia). source: bytes,
    a binary file object or a path (whose name is the default filename)."""
    from wechat.mp.v1 import material_pb2
    from wxgate.file.v1 import file_pb2
    if filename is None:
        filename = os.path.basename(source) if isinstance(source, (str, os.PathLike)) else "file"

    def requests():
        for i, piece in enumerate(pieces(source)):
            request = material_pb2.UploadMediaRequest(media=file_pb2.UploadFile(content=piece))
            if i == 0:
                request.type = media_type
                request.media.filename = filename
            yield request

    return call(material_stub.UploadMedia, requests(), **kwargs)


def download(responses, sink):
    """Writes a download stream's file (GetMedia, GetMaterial, GetHdVoice,
    GetQrcodeImage, DownloadNontaxBill) to sink, a binary file object or a path, and
    returns the first chunk (content type, name, size) without its data."""
    if isinstance(sink, (str, os.PathLike)):
        with open(sink, "wb") as f:
            return download(responses, f)
    meta = None
    try:
        for response in responses:
            if not response.HasField("file"):
                raise ValueError("the download answered without a file (a video's URL?)")
            if meta is None:
                meta = type(response.file)()
                meta.CopyFrom(response.file)
                meta.ClearField("data")
            sink.write(response.file.data)
    except grpc.RpcError as rpc_error:
        raise WxgateError.of(rpc_error) or rpc_error from rpc_error
    if meta is None:
        raise ValueError("the download carried no file")
    return meta
