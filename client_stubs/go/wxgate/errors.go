package wxgate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// WeChatDomain is ErrorInfo.domain of errors WeChat answered (errcode != 0).
const WeChatDomain = "api.weixin.qq.com"

// Error is a failed call whose status carries a google.rpc.ErrorInfo: a WeChat
// error (Reason "WECHAT_<errcode>", Domain WeChatDomain, with Errcode, Errmsg and
// Rid) or one of the gateway's own (Reason such as "UNKNOWN_APPID",
// "CALLER_UNAUTHENTICATED"; see the README's reason table). The calls of a Dial'ed
// connection return it; find it with errors.As. status.Code(err) still works.
type Error struct {
	Code     codes.Code
	Message  string
	Reason   string
	Domain   string
	Metadata map[string]string
	// WeChat's errcode, errmsg and request id (rid); zero values for gateway errors.
	Errcode int
	Errmsg  string
	Rid     string

	status *status.Status
}

func (e *Error) Error() string {
	return fmt.Sprintf("wxgate: %s: %s (reason %s)", e.Code, e.Message, e.Reason)
}

// GRPCStatus lets status.FromError and status.Code see the original status.
func (e *Error) GRPCStatus() *status.Status { return e.status }

// IsWeChat says whether WeChat itself answered the error.
func (e *Error) IsWeChat() bool { return e.Domain == WeChatDomain }

// AsError decodes err's ErrorInfo into an *Error; it returns err unchanged when err
// is not a gRPC status or carries no ErrorInfo (and nil for nil).
func AsError(err error) error {
	var already *Error
	if err == nil || errors.Is(err, io.EOF) || errors.As(err, &already) {
		return err
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, detail := range st.Details() {
		info, ok := detail.(*errdetails.ErrorInfo)
		if !ok {
			continue
		}
		e := &Error{Code: st.Code(), Message: st.Message(), Reason: info.GetReason(),
			Domain: info.GetDomain(), Metadata: info.GetMetadata(), status: st}
		e.Errcode, _ = strconv.Atoi(info.GetMetadata()["errcode"])
		e.Errmsg = info.GetMetadata()["errmsg"]
		e.Rid = info.GetMetadata()["rid"]
		return e
	}
	return err
}

func errorUnary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
	invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	return AsError(invoker(ctx, method, req, reply, cc, opts...))
}

func errorStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	stream, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, AsError(err)
	}
	return decodedStream{stream}, nil
}

// decodedStream turns the errors of a stream's calls into *Error.
type decodedStream struct{ grpc.ClientStream }

func (s decodedStream) SendMsg(m any) error { return AsError(s.ClientStream.SendMsg(m)) }
func (s decodedStream) RecvMsg(m any) error { return AsError(s.ClientStream.RecvMsg(m)) }
