// Package wxgate is a thin helper over the generated stubs in wxgate.dev/go/gen:
// a connection whose calls carry the account and the caller's credentials, WeChat
// and gateway errors as *Error, an event subscriber that resumes from its last
// cursor, and file uploads and downloads in pieces.
//
//	conn, err := wxgate.Dial("127.0.0.1:50051", wxgate.WithAppID("wx1111111111111111"))
//	users := mpv1.NewUserServiceClient(conn)
//	user, err := users.GetUserInfo(ctx, &mpv1.GetUserInfoRequest{Openid: openid})
//	var e *wxgate.Error
//	if errors.As(err, &e) && e.Errcode == 40003 { ... }
package wxgate

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/metadata"
)

// AppIDKey is the metadata key naming the WeChat account a call is for.
const AppIDKey = "x-wx-appid"

type options struct {
	appID    string
	apiKey   string
	tls      *tls.Config
	dialOpts []grpc.DialOption
}

// An Option configures Dial.
type Option func(*options) error

// WithAppID makes appid the account of every call that does not name one with
// ForAccount. Without it the gateway uses its default account.
func WithAppID(appid string) Option {
	return func(o *options) error { o.appID = appid; return nil }
}

// WithAPIKey sends key as the caller's API key (authorization: Bearer) on every call.
// Over a plaintext connection it is sent too: use one only on loopback or behind a
// sidecar that encrypts.
func WithAPIKey(key string) Option {
	return func(o *options) error { o.apiKey = key; return nil }
}

// WithTLS connects over TLS with cfg (nil: the system's roots).
func WithTLS(cfg *tls.Config) Option {
	return func(o *options) error {
		if cfg == nil {
			cfg = &tls.Config{}
		}
		o.tls = cfg
		return nil
	}
}

// WithMTLS connects over TLS, trusting the CA in caFile (PEM; empty: the system's
// roots) and presenting the client certificate in certFile and keyFile.
func WithMTLS(caFile, certFile, keyFile string) Option {
	return func(o *options) error {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("wxgate: client certificate: %w", err)
		}
		cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return fmt.Errorf("wxgate: CA file: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return fmt.Errorf("wxgate: no certificate in %s", caFile)
			}
		}
		o.tls = cfg
		return nil
	}
}

// WithDialOptions passes further options to grpc.NewClient (interceptors, ...).
func WithDialOptions(opts ...grpc.DialOption) Option {
	return func(o *options) error { o.dialOpts = append(o.dialOpts, opts...); return nil }
}

// Dial opens a connection to the gateway at target ("host:port"); plaintext unless
// WithTLS or WithMTLS. Errors of its calls are *Error where the status says more
// than a code (see Error). Close the connection when done.
func Dial(target string, opts ...Option) (*grpc.ClientConn, error) {
	var o options
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return nil, err
		}
	}
	transport := insecure.NewCredentials()
	if o.tls != nil {
		transport = credentials.NewTLS(o.tls)
	}
	dialOpts := []grpc.DialOption{
		grpc.WithTransportCredentials(transport),
		grpc.WithChainUnaryInterceptor(accountUnary(o.appID), errorUnary),
		grpc.WithChainStreamInterceptor(accountStream(o.appID), errorStream),
	}
	if o.apiKey != "" {
		dialOpts = append(dialOpts, grpc.WithPerRPCCredentials(apiKey{o.apiKey, o.tls != nil}))
	}
	return grpc.NewClient(target, append(dialOpts, o.dialOpts...)...)
}

// ForAccount returns a context whose calls are for the account appid, whatever
// the connection's WithAppID.
func ForAccount(ctx context.Context, appid string) context.Context {
	md, _ := metadata.FromOutgoingContext(ctx)
	md = md.Copy()
	md.Set(AppIDKey, appid)
	return metadata.NewOutgoingContext(ctx, md)
}

// withDefaultAccount adds appid unless the call names an account itself.
func withDefaultAccount(ctx context.Context, appid string) context.Context {
	if appid == "" {
		return ctx
	}
	if md, ok := metadata.FromOutgoingContext(ctx); ok && len(md.Get(AppIDKey)) > 0 {
		return ctx
	}
	return metadata.AppendToOutgoingContext(ctx, AppIDKey, appid)
}

func accountUnary(appid string) grpc.UnaryClientInterceptor {
	return func(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn,
		invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
		return invoker(withDefaultAccount(ctx, appid), method, req, reply, cc, opts...)
	}
}

func accountStream(appid string) grpc.StreamClientInterceptor {
	return func(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
		streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
		return streamer(withDefaultAccount(ctx, appid), desc, cc, method, opts...)
	}
}

// apiKey is the caller's API key as per-call credentials.
type apiKey struct {
	key    string
	secure bool
}

func (k apiKey) GetRequestMetadata(context.Context, ...string) (map[string]string, error) {
	return map[string]string{"authorization": "Bearer " + k.key}, nil
}

// RequireTransportSecurity is false on plaintext connections, which the caller
// chose knowingly (loopback, or a sidecar's mTLS).
func (k apiKey) RequireTransportSecurity() bool { return k.secure }
