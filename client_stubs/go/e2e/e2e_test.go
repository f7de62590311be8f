// Package e2e tests the Go client against a live gateway and the fake WeChat.
// tests/e2e/client_test.py starts them and sets WXGATE_E2E_*; without those the
// tests are skipped. Run by ctest as e2e_go_client.
package e2e

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	mpv1 "wxgate.dev/go/gen/wechat/mp/v1"
	wxgatev1 "wxgate.dev/go/gen/wxgate/v1"
	"wxgate.dev/go/wxgate"
)

const (
	otherAppID = "wx2222222222222222" // well formed, not configured
	timeout    = 60 * time.Second     // generous for a loaded machine
)

// live returns the gateway's address and account, or skips the test.
func live(t *testing.T) (target, appid string) {
	t.Helper()
	target, appid = os.Getenv("WXGATE_E2E_TARGET"), os.Getenv("WXGATE_E2E_APPID")
	if target == "" || appid == "" {
		t.Skip("no live gateway: run through tests/e2e/client_test.py (ctest -R e2e_go_client)")
	}
	return target, appid
}

func dial(t *testing.T, opts ...wxgate.Option) *grpc.ClientConn {
	t.Helper()
	target, appid := live(t)
	conn, err := wxgate.Dial(target, append([]wxgate.Option{wxgate.WithAppID(appid)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func callContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	t.Cleanup(cancel)
	return ctx
}

func TestGetUserInfoReturnsTheFakesFollower(t *testing.T) {
	users := mpv1.NewUserServiceClient(dial(t))
	openid := os.Getenv("WXGATE_E2E_OPENID")
	user, err := users.GetUserInfo(callContext(t), &mpv1.GetUserInfoRequest{Openid: openid})
	if err != nil {
		t.Fatal(err)
	}
	if user.GetOpenid() != openid || user.GetCity() != "广州" || fmt.Sprint(user.GetTagidList()) != "[128 2]" {
		t.Errorf("GetUserInfo = %v", user)
	}
}

func TestWeChatErrorDecodesToErrcode(t *testing.T) {
	tags := mpv1.NewTagServiceClient(dial(t))
	_, err := tags.CreateTag(callContext(t), &mpv1.CreateTagRequest{}) // no tag: WeChat's 47001
	var e *wxgate.Error
	if !errors.As(err, &e) {
		t.Fatalf("CreateTag without a tag: %v, not a *wxgate.Error", err)
	}
	if e.Code != codes.InvalidArgument || e.Reason != "WECHAT_47001" || !e.IsWeChat() ||
		e.Errcode != 47001 || !strings.Contains(e.Errmsg, "data format error") {
		t.Errorf("error = %+v", e)
	}
	if status.Code(err) != codes.InvalidArgument {
		t.Errorf("status.Code = %v, want InvalidArgument", status.Code(err))
	}
	created, err := tags.CreateTag(callContext(t), &mpv1.CreateTagRequest{Tag: &mpv1.Tag{Name: "广东"}})
	if err != nil || created.GetTag().GetId() == 0 {
		t.Errorf("CreateTag = %v, %v", created, err)
	}
}

func TestGatewayReasonForAnUnknownAccount(t *testing.T) {
	users := mpv1.NewUserServiceClient(dial(t))
	ctx := wxgate.ForAccount(callContext(t), otherAppID)
	_, err := users.GetUserInfo(ctx, &mpv1.GetUserInfoRequest{Openid: os.Getenv("WXGATE_E2E_OPENID")})
	var e *wxgate.Error
	if !errors.As(err, &e) || e.Code != codes.NotFound || e.Reason != "UNKNOWN_APPID" ||
		e.IsWeChat() || e.Metadata["appid"] != otherAppID {
		t.Errorf("GetUserInfo for %s: %v (%+v)", otherAppID, err, e)
	}
}

func TestAPIKeyIsSentAsCallCredentials(t *testing.T) {
	// The stack lets anonymous callers in; a key no caller has is refused, never
	// ignored, so the refusal proves the key went out as "authorization".
	users := mpv1.NewUserServiceClient(dial(t, wxgate.WithAPIKey("not-a-configured-key")))
	_, err := users.GetUserInfo(callContext(t), &mpv1.GetUserInfoRequest{Openid: os.Getenv("WXGATE_E2E_OPENID")})
	var e *wxgate.Error
	if !errors.As(err, &e) || e.Code != codes.Unauthenticated || e.Reason != "CALLER_UNAUTHENTICATED" {
		t.Errorf("GetUserInfo with an unknown key: %v", err)
	}
}

// TestMTLSCallerIsKnownByItsCertificate calls the second gateway, which requires a
// client certificate and lets in only the caller with spiffe://test/shop.
func TestMTLSCallerIsKnownByItsCertificate(t *testing.T) {
	_, appid := live(t)
	target, ca := os.Getenv("WXGATE_E2E_MTLS_TARGET"), os.Getenv("WXGATE_E2E_CA_FILE")
	if target == "" {
		t.Skip("no mTLS gateway: run through tests/e2e/client_test.py")
	}
	openid := os.Getenv("WXGATE_E2E_OPENID")
	getUser := func(opt wxgate.Option) (*mpv1.GetUserInfoResponse, error) {
		conn, err := wxgate.Dial(target, wxgate.WithAppID(appid), opt)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		return mpv1.NewUserServiceClient(conn).GetUserInfo(callContext(t), &mpv1.GetUserInfoRequest{Openid: openid})
	}

	user, err := getUser(wxgate.WithMTLS(ca, os.Getenv("WXGATE_E2E_CLIENT_CERT"), os.Getenv("WXGATE_E2E_CLIENT_KEY")))
	if err != nil || user.GetOpenid() != openid || user.GetCity() != "广州" {
		t.Fatalf("GetUserInfo over mTLS = %v, %v", user, err)
	}

	// TLS alone, trusting the same CA: the handshake fails, so the call never
	// reaches the gateway's admission (which would say why, in an ErrorInfo).
	pem, err := os.ReadFile(ca)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	_, err = getUser(wxgate.WithTLS(&tls.Config{RootCAs: roots}))
	var e *wxgate.Error
	if status.Code(err) != codes.Unavailable || errors.As(err, &e) {
		t.Errorf("GetUserInfo over TLS without a client certificate: %v, want UNAVAILABLE", err)
	}
	t.Logf("without a client certificate: %v", err)
}

func TestUploadInPiecesAndDownload(t *testing.T) {
	material := mpv1.NewMaterialServiceClient(dial(t))
	image := bytes.Repeat([]byte{0xff, 0xd8, 0x00, 0x7f}, 3*wxgate.PieceSize/4+1000) // 4 pieces
	counter := &countingReader{r: bytes.NewReader(image)}
	uploaded, err := wxgate.UploadMedia(callContext(t), material, mpv1.MaterialMediaType_MATERIAL_MEDIA_TYPE_IMAGE, "photo.jpg", counter)
	if err != nil || uploaded.GetMediaId() == "" {
		t.Fatalf("UploadMedia = %v, %v", uploaded, err)
	}
	if counter.n != len(image) {
		t.Errorf("read %d bytes of %d", counter.n, len(image))
	}
	path := filepath.Join(t.TempDir(), "photo.jpg")
	if err := os.WriteFile(path, image, 0o600); err != nil {
		t.Fatal(err)
	}
	fromFile, err := wxgate.UploadMediaFile(callContext(t), material, mpv1.MaterialMediaType_MATERIAL_MEDIA_TYPE_IMAGE, path)
	if err != nil || fromFile.GetMediaId() == "" {
		t.Fatalf("UploadMediaFile = %v, %v", fromFile, err)
	}

	out := filepath.Join(t.TempDir(), "download")
	meta, err := wxgate.DownloadMediaFile(callContext(t), material, uploaded.GetMediaId(), out)
	if err != nil {
		t.Fatal(err)
	}
	written, _ := os.ReadFile(out)
	if meta.GetContentType() != "image/jpeg" || len(written) == 0 || int64(len(written)) != meta.GetSize() {
		t.Errorf("download: %v, %d bytes written", meta, len(written))
	}
	stream, err := material.GetMedia(callContext(t), &mpv1.GetMediaRequest{MediaId: uploaded.GetMediaId()})
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := wxgate.ReceiveFile(stream.Recv, &buf); err != nil || !bytes.Equal(buf.Bytes(), written) {
		t.Errorf("the streamed download differs from the file: %v", err)
	}
}

type countingReader struct {
	r *bytes.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// cutter lets the test cut the live Subscribe stream as a network failure would:
// the stream is cancelled and its reader sees UNAVAILABLE.
type cutter struct {
	mu     sync.Mutex
	cancel context.CancelFunc
}

func (c *cutter) intercept(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string,
	streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if method != "/wxgate.v1.EventService/Subscribe" {
		return streamer(ctx, desc, cc, method, opts...)
	}
	streamCtx, cancel := context.WithCancel(ctx)
	c.mu.Lock()
	c.cancel = cancel
	c.mu.Unlock()
	stream, err := streamer(streamCtx, desc, cc, method, opts...)
	if err != nil {
		cancel()
		return nil, err
	}
	return cutStream{stream, ctx, streamCtx}, nil
}

func (c *cutter) cut() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.cancel()
}

type cutStream struct {
	grpc.ClientStream
	parent, own context.Context
}

func (s cutStream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	if err != nil && s.parent.Err() == nil && s.own.Err() != nil {
		return status.Error(codes.Unavailable, "cut by the test")
	}
	return err
}

type handled struct {
	content string
	cursor  uint64
}

// push sends a text message through the fake's push tool; it returns the HTTP answer.
func push(t *testing.T, content string, msgID int) string {
	t.Helper()
	out, err := exec.Command(os.Getenv("WXGATE_E2E_PUSH_TEXT"), content, fmt.Sprint(msgID)).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "HTTP 200") {
		t.Fatalf("push %q: %v: %s", content, err, out)
	}
	return string(out)
}

func next(t *testing.T, events <-chan handled) handled {
	t.Helper()
	select {
	case h := <-events:
		return h
	case <-time.After(timeout):
		t.Fatal("no event within the timeout")
		return handled{}
	}
}

func TestSubscriberRepliesAndResumesAfterACut(t *testing.T) {
	cut := &cutter{}
	conn := dial(t, wxgate.WithDialOptions(grpc.WithChainStreamInterceptor(cut.intercept)))
	events := make(chan handled, 100)
	handler := func(_ context.Context, event *mpv1.Event) (*mpv1.Reply, error) {
		events <- handled{event.GetText().GetContent(), event.GetCursor()}
		return wxgate.TextReply("re: " + event.GetText().GetContent()), nil
	}
	store := &wxgate.MemoryCursorStore{}
	var retries atomic.Int32
	start := func() (stop func() error) {
		ctx, cancel := context.WithCancel(context.Background())
		sub := &wxgate.Subscriber{
			Events: wxgatev1.NewEventServiceClient(conn),
			Request: &wxgatev1.SubscribeRequest{Filter: &wxgatev1.EventFilter{MsgTypes: []string{"text"}},
				Replies: true},
			Store:   store,
			OnRetry: func(err error, _ time.Duration) { retries.Add(1) },
		}
		done := make(chan error, 1)
		go func() { done <- sub.Run(ctx, handler) }()
		return func() error { cancel(); return <-done }
	}
	stop := start()
	defer func() {
		if stop != nil {
			stop()
		}
	}()

	// Live only: pushes before the stream is up are answered "success" and not
	// delivered; push until one is delivered, and replied to in the HTTP answer.
	var pushed []string
	msgID := 5000
	for deadline := time.Now().Add(timeout); ; {
		msgID++
		content := fmt.Sprintf("hello %d", msgID)
		answer := push(t, content, msgID)
		if strings.Contains(answer, "<Content><![CDATA[re: "+content+"]]></Content>") {
			pushed = append(pushed, content)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no reply in the HTTP answer: %s", answer)
		}
		time.Sleep(50 * time.Millisecond)
	}
	// An earlier push may have reached the stream as it went live, unreplied.
	first := next(t, events)
	for first.content != pushed[0] && strings.HasPrefix(first.content, "hello ") {
		first = next(t, events)
	}
	if first.content != pushed[0] {
		t.Fatalf("first event %q, want %q", first.content, pushed[0])
	}
	got := []handled{first}

	// Cut the stream; what is pushed meanwhile is replayed after the resume.
	cut.cut()
	for _, content := range []string{"during the cut 1", "during the cut 2", "after the cut"} {
		msgID++
		push(t, content, msgID)
		pushed = append(pushed, content)
	}
	for len(got) < len(pushed) {
		got = append(got, next(t, events))
	}
	if retries.Load() == 0 {
		t.Error("the subscriber never resumed: was the stream cut?")
	}

	// A new subscriber on the same store starts after the last handled cursor.
	if err := stop(); !errors.Is(err, context.Canceled) {
		t.Errorf("Run ended with %v, want context.Canceled", err)
	}
	stop = nil
	msgID++
	push(t, "while stopped", msgID)
	pushed = append(pushed, "while stopped")
	stop = start()
	got = append(got, next(t, events))

	for i, h := range got {
		if h.content != pushed[i] {
			t.Errorf("event %d is %q, want %q (got %v)", i, h.content, pushed[i], got)
		}
		if i > 0 && h.cursor <= got[i-1].cursor {
			t.Errorf("cursor %d after %d", h.cursor, got[i-1].cursor)
		}
	}
	select {
	case extra := <-events:
		t.Errorf("an event delivered twice or unexpected: %+v", extra)
	case <-time.After(time.Second):
	}
}

func TestBatchedSubscriberHandlesOneEventAtATime(t *testing.T) {
	conn := dial(t)
	events := wxgatev1.NewEventServiceClient(conn)
	// Stored before anyone subscribes: the replay below is behind, so batched. Ids
	// and contents of this run only (the gateway drops a repeated MsgId).
	base := int(time.Now().UnixMicro() % 1_000_000_000)
	var contents []string
	for i := 0; i < 5; i++ {
		contents = append(contents, fmt.Sprintf("go batched %d %d", base, i))
		push(t, contents[i], base+i)
	}
	request := &wxgatev1.SubscribeRequest{Filter: &wxgatev1.EventFilter{MsgTypes: []string{"text"}},
		AfterCursor: proto.Uint64(0)}
	ctx, cancel := context.WithCancel(callContext(t))
	stream, err := events.SubscribeBatched(ctx, &wxgatev1.SubscribeBatchedRequest{Subscription: request, MaxBatch: 2})
	if err != nil {
		t.Fatal(err)
	}
	largest := 0
	recv := wxgate.SingleEvents(func() (*wxgatev1.SubscribeBatchedResponse, error) {
		batch, err := stream.Recv()
		largest = max(largest, len(batch.GetEvents()))
		return batch, err
	})
	var cursors []uint64
	for len(cursors) < len(contents) {
		resp, err := recv()
		if err != nil {
			t.Fatal(err)
		}
		if text := resp.GetEvent().GetText().GetContent(); text == contents[len(cursors)] {
			cursors = append(cursors, resp.GetEvent().GetCursor())
		}
	}
	cancel()
	if largest != 2 {
		t.Errorf("largest message held %d events, want 2", largest)
	}

	// The Subscriber on SubscribeBatched resumes after the stored cursor and hands
	// over one event at a time, in order.
	store := &wxgate.MemoryCursorStore{}
	store.Save(context.Background(), cursors[1])
	got := make(chan handled, 100)
	sub := &wxgate.Subscriber{Events: events, Request: request, Store: store, Batched: true, MaxBatch: 3}
	runCtx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- sub.Run(runCtx, func(_ context.Context, event *mpv1.Event) (*mpv1.Reply, error) {
			got <- handled{event.GetText().GetContent(), event.GetCursor()}
			return nil, nil
		})
	}()
	for i := 2; i < len(contents); i++ {
		h := next(t, got)
		if h.content != contents[i] || h.cursor != cursors[i] {
			t.Errorf("handled %+v, want %q at cursor %d", h, contents[i], cursors[i])
		}
	}
	stop()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run ended with %v, want context.Canceled", err)
	}
	if cursor, _, _ := store.Load(context.Background()); cursor != cursors[4] {
		t.Errorf("saved cursor %d, want %d", cursor, cursors[4])
	}
}

func TestExampleCallsAndReplies(t *testing.T) {
	target, appid := live(t)
	bin := filepath.Join(t.TempDir(), "example")
	if out, err := exec.Command("go", "build", "-o", bin, "../example").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v: %s", err, out)
	}
	example := exec.Command(bin, "-target", target, "-appid", appid, "-openid", os.Getenv("WXGATE_E2E_OPENID"), "-subscribe")
	var out syncBuffer
	example.Stdout, example.Stderr = &out, &out
	if err := example.Start(); err != nil {
		t.Fatal(err)
	}
	defer example.Process.Kill()
	for deadline, msgID := time.Now().Add(timeout), 7000; ; msgID++ {
		if answer := push(t, "hi example", msgID); strings.Contains(answer, "you said: hi example") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the example never replied; its output:\n%s", out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	example.Process.Signal(os.Interrupt)
	if err := example.Wait(); err != nil {
		t.Errorf("example: %v; its output:\n%s", err, out.String())
	}
	for _, want := range []string{"广州, tags [128 2]", "tag created: 134", "errcode 47001", `oE2eUser says "hi example"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the example's output lacks %q:\n%s", want, out.String())
		}
	}
}

// syncBuffer is a bytes.Buffer a child process writes while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
