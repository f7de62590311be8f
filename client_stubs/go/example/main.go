// Command example calls wxgate from Go: a follower's profile, a tag created (and
// one refused, to show a WeChat error), and with -subscribe a subscriber that
// answers every text message until interrupted.
//
//	go run ./example -target 127.0.0.1:50051 -appid wx1111111111111111 -openid o6_bm...
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"time"

	mpv1 "wxgate.dev/go/gen/wechat/mp/v1"
	wxgatev1 "wxgate.dev/go/gen/wxgate/v1"
	"wxgate.dev/go/wxgate"
)

func main() {
	target := flag.String("target", "127.0.0.1:50051", "the gateway, host:port")
	appid := flag.String("appid", "", "the account (x-wx-appid); empty: the gateway's default")
	openid := flag.String("openid", "", "the follower to look up")
	apiKey := flag.String("api-key-env", "", "environment variable holding the caller's API key")
	subscribe := flag.Bool("subscribe", false, "then reply to text messages until interrupted")
	flag.Parse()

	opts := []wxgate.Option{wxgate.WithAppID(*appid)}
	if *apiKey != "" {
		opts = append(opts, wxgate.WithAPIKey(os.Getenv(*apiKey)))
	}
	conn, err := wxgate.Dial(*target, opts...)
	if err != nil {
		log.Fatal(err)
	}
	defer conn.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	call, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()

	user, err := mpv1.NewUserServiceClient(conn).GetUserInfo(call, &mpv1.GetUserInfoRequest{Openid: *openid})
	if err != nil {
		log.Fatalf("GetUserInfo: %v", err)
	}
	fmt.Printf("user %s: %s, %s, tags %v\n", user.GetOpenid(), user.GetNickname(), user.GetCity(), user.GetTagidList())

	tags := mpv1.NewTagServiceClient(conn)
	created, err := tags.CreateTag(call, &mpv1.CreateTagRequest{Tag: &mpv1.Tag{Name: "VIP"}})
	if err != nil {
		log.Fatalf("CreateTag: %v", err)
	}
	fmt.Printf("tag created: %d %s\n", created.GetTag().GetId(), created.GetTag().GetName())
	_, err = tags.CreateTag(call, &mpv1.CreateTagRequest{}) // no tag: WeChat refuses
	var e *wxgate.Error
	if errors.As(err, &e) && e.IsWeChat() {
		fmt.Printf("tag refused: errcode %d (%s), rid %q, gRPC %s\n", e.Errcode, e.Errmsg, e.Rid, e.Code)
	} else if err != nil {
		log.Fatalf("CreateTag: %v", err)
	}

	if !*subscribe {
		return
	}
	sub := &wxgate.Subscriber{
		Events:  wxgatev1.NewEventServiceClient(conn),
		Request: &wxgatev1.SubscribeRequest{Filter: &wxgatev1.EventFilter{MsgTypes: []string{"text"}}, Replies: true},
		OnRetry: func(err error, wait time.Duration) { log.Printf("resuming in %v: %v", wait, err) },
	}
	err = sub.Run(ctx, func(_ context.Context, ev *mpv1.Event) (*mpv1.Reply, error) {
		fmt.Printf("%s says %q\n", ev.GetFromUserName(), ev.GetText().GetContent())
		return wxgate.TextReply("you said: " + ev.GetText().GetContent()), nil
	})
	if err != nil && !errors.Is(err, context.Canceled) {
		log.Fatal(err)
	}
}
