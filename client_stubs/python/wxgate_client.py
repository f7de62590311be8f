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

The generated modules (wechat.*, wxgate.*, google.rpc.*) must be importable: put the
build's client_stubs/python/gen directory on PYTHONPATH (see README.md).
"""

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
    """Adds x-wx-appid to every call's metadata (unless the call sets it itself)."""

    def __init__(self, appid):
        self._appid = appid

    def _with_appid(self, details):
        metadata = list(details.metadata or [])
        if not any(key == APPID_METADATA_KEY for key, _ in metadata):
            metadata.append((APPID_METADATA_KEY, self._appid))
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


def connect(target, appid=None, credentials=None, options=None):
    """Opens a channel to the gateway at `target` ("host:port").

    appid: the account every call is for (sent as x-wx-appid); None sends nothing,
        and the gateway uses its default account.
    credentials: grpc.ChannelCredentials for TLS; None opens a plaintext channel.
    options: channel options, as for grpc.insecure_channel.
    """
    if credentials is None:
        channel = grpc.insecure_channel(target, options=options)
    else:
        channel = grpc.secure_channel(target, credentials, options=options)
    if appid:
        channel = grpc.intercept_channel(channel, _AppidInterceptor(appid))
    return Client(channel)


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
