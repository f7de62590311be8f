package wxgate

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	mpv1 "wxgate.dev/go/gen/wechat/mp/v1"
	wxgatev1 "wxgate.dev/go/gen/wxgate/v1"
)

// A CursorStore keeps the cursor of the last event a Subscriber processed, so that
// a new process resumes where the last one stopped (a file, Redis, a database row).
type CursorStore interface {
	// Load returns the saved cursor; ok is false when none was saved yet.
	Load(ctx context.Context) (cursor uint64, ok bool, err error)
	Save(ctx context.Context, cursor uint64) error
}

// MemoryCursorStore is a CursorStore for the life of the process.
type MemoryCursorStore struct {
	mu     sync.Mutex
	cursor uint64
	saved  bool
}

func (m *MemoryCursorStore) Load(context.Context) (uint64, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.cursor, m.saved, nil
}

func (m *MemoryCursorStore) Save(_ context.Context, cursor uint64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cursor, m.saved = cursor, true
	return nil
}

// A Handler processes one event. With SubscribeRequest.replies set, the reply it
// returns goes back to WeChat as the push's passive reply (nil: "success", nothing
// shown to the user). An error stops the Subscriber; the event is not marked done.
type Handler func(ctx context.Context, event *mpv1.Event) (*mpv1.Reply, error)

// Subscriber streams EventService/Subscribe into a Handler, one event at a time,
// saving each event's cursor once handled. When the stream ends with UNAVAILABLE,
// RESOURCE_EXHAUSTED (it fell behind), ABORTED or INTERNAL, or the server closes
// it, it subscribes again after the last handled cursor, waiting between attempts
// (doubling from MinBackoff up to MaxBackoff, back to MinBackoff after an event):
// no event is lost or handled twice, as long as the gateway still retains it.
type Subscriber struct {
	Events wxgatev1.EventServiceClient
	// Filter, group, replies, raw XML, and where to start when Store has no cursor
	// (after_cursor unset: live events only).
	Request *wxgatev1.SubscribeRequest
	// Nil: a MemoryCursorStore.
	Store      CursorStore
	MinBackoff time.Duration // default 100 ms
	MaxBackoff time.Duration // default 10 s
	// OnRetry, if set, hears of each resumable end before the wait.
	OnRetry func(err error, wait time.Duration)
	// Batched reads SubscribeBatched instead of Subscribe: what is waiting comes
	// several events to a stream message (up to MaxBatch; 0: the gateway's
	// default, 100), cheaper per event for the gateway and for this process when
	// behind. The handler still gets one event at a time, each cursor saved.
	Batched  bool
	MaxBatch uint32
}

// Run subscribes and handles events until ctx ends (it returns ctx.Err()), the
// handler fails, or the stream ends with an error that is not worth retrying.
func (s *Subscriber) Run(ctx context.Context, handle Handler) error {
	store := s.Store
	if store == nil {
		store = &MemoryCursorStore{}
	}
	minWait, maxWait := orDefault(s.MinBackoff, 100*time.Millisecond), orDefault(s.MaxBackoff, 10*time.Second)
	wait := minWait
	for {
		handled, err := s.once(ctx, store, handle)
		if ctx.Err() != nil {
			return ctx.Err()
		}
		var stop *handlerError
		if errors.As(err, &stop) {
			return stop.err
		}
		if !resumable(err) {
			return err
		}
		if handled {
			wait = minWait
		}
		if s.OnRetry != nil {
			s.OnRetry(err, wait)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
		wait = min(2*wait, maxWait)
	}
}

// handlerError marks an error of the handler or the store, which stops Run.
type handlerError struct{ err error }

func (h *handlerError) Error() string { return h.err.Error() }

// once runs one stream to its end; handled says whether any event was handled.
func (s *Subscriber) once(ctx context.Context, store CursorStore, handle Handler) (bool, error) {
	req := proto.Clone(s.Request).(*wxgatev1.SubscribeRequest)
	cursor, ok, err := store.Load(ctx)
	if err != nil {
		return false, &handlerError{err}
	}
	if ok {
		req.AfterCursor = proto.Uint64(cursor)
	}
	streamCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	recv, err := s.open(streamCtx, req)
	if err != nil {
		return false, err
	}
	handled := false
	for {
		resp, err := recv()
		if err != nil {
			return handled, err
		}
		event := resp.GetEvent()
		reply, err := handle(ctx, event)
		if err != nil {
			return handled, &handlerError{err}
		}
		var replyErr error
		if req.GetReplies() {
			replyErr = Reply(ctx, s.Events, event, reply)
		}
		// Handled is handled: saved even when ctx ended meanwhile, so that the next
		// run does not hand the event over again.
		if err := store.Save(context.WithoutCancel(ctx), event.GetCursor()); err != nil {
			return handled, &handlerError{err}
		}
		handled = true
		if replyErr != nil && ctx.Err() == nil {
			return handled, &handlerError{replyErr}
		}
	}
}

// open starts the stream, Subscribe or SubscribeBatched, read one event at a time.
func (s *Subscriber) open(ctx context.Context, req *wxgatev1.SubscribeRequest) (func() (*wxgatev1.SubscribeResponse, error), error) {
	if !s.Batched {
		stream, err := s.Events.Subscribe(ctx, req)
		if err != nil {
			return nil, err
		}
		return stream.Recv, nil
	}
	stream, err := s.Events.SubscribeBatched(ctx, &wxgatev1.SubscribeBatchedRequest{Subscription: req, MaxBatch: s.MaxBatch})
	if err != nil {
		return nil, err
	}
	return SingleEvents(stream.Recv), nil
}

// SingleEvents turns the Recv of a SubscribeBatched stream into one that returns
// its events one at a time, in order, and then the stream's end.
//
//	stream, _ := events.SubscribeBatched(ctx, &wxgatev1.SubscribeBatchedRequest{Subscription: req})
//	recv := wxgate.SingleEvents(stream.Recv)
//	for resp, err := recv(); err == nil; resp, err = recv() { ... }
func SingleEvents(recv func() (*wxgatev1.SubscribeBatchedResponse, error)) func() (*wxgatev1.SubscribeResponse, error) {
	var pending []*wxgatev1.SubscribeResponse
	return func() (*wxgatev1.SubscribeResponse, error) {
		for len(pending) == 0 {
			batch, err := recv()
			if err != nil {
				return nil, err
			}
			pending = batch.GetEvents()
		}
		next := pending[0]
		pending = pending[1:]
		return next, nil
	}
}

func resumable(err error) bool {
	if errors.Is(err, io.EOF) {
		return true // the server closed the stream
	}
	switch status.Code(err) {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted, codes.Internal:
		return true
	}
	return false
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// Reply answers a push with a passive reply (nil: "success" now). A push whose
// reply window has passed, or that was already answered, is not an error here:
// WeChat has had its answer, and a customer-service message is the way to reach
// the user now.
func Reply(ctx context.Context, events wxgatev1.EventServiceClient, event *mpv1.Event, reply *mpv1.Reply) error {
	_, err := events.Reply(ctx, &wxgatev1.ReplyRequest{EventId: event.GetId(), Reply: reply})
	if status.Code(err) == codes.FailedPrecondition {
		return nil
	}
	return err
}

// TextReply is a passive reply with a text message.
func TextReply(content string) *mpv1.Reply {
	return &mpv1.Reply{Payload: &mpv1.Reply_Text{Text: &mpv1.TextReply{Content: content}}}
}
