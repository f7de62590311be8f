package main

import (
	"fmt"

	bootstrapv3 "github.com/envoyproxy/go-control-plane/envoy/config/bootstrap/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/types/known/anypb"
	"sigs.k8s.io/yaml"

	// The typed_config types the checked files use. protojson resolves an Any's
	// @type only among linked types, so any other type is reported as unknown.
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/transport_sockets/tls/v3"
	_ "github.com/envoyproxy/go-control-plane/envoy/extensions/upstreams/http/v3"
)

// validator is what protoc-gen-validate generates for every Envoy message.
type validator interface{ ValidateAll() error }

func checkEnvoy(doc []byte) []error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return []error{err}
	}
	var bootstrap bootstrapv3.Bootstrap
	if err := protojson.Unmarshal(js, &bootstrap); err != nil {
		return []error{fmt.Errorf("envoy bootstrap: %w", err)}
	}
	clusters := map[string]bool{}
	for _, c := range bootstrap.GetStaticResources().GetClusters() {
		clusters[c.GetName()] = true
	}
	var problems []error
	each(&bootstrap, &problems, func(m proto.Message, top bool) {
		// A message's ValidateAll covers the messages inside it but stops at an Any:
		// run it on the root and on each Any's content.
		if v, ok := m.(validator); ok && top {
			if err := v.ValidateAll(); err != nil {
				problems = append(problems, err)
			}
		}
		if r, ok := m.(*routev3.RouteAction); ok && r.GetCluster() != "" && !clusters[r.GetCluster()] {
			problems = append(problems, fmt.Errorf("a route names cluster %q, which is not defined", r.GetCluster()))
		}
	})
	return problems
}

// each calls fn on m and on every message below it, through lists, maps and the
// content of every Any (unpacked); top is true for m and for each Any's content.
func each(m proto.Message, problems *[]error, fn func(m proto.Message, top bool)) {
	fn(m, true)
	below(m.ProtoReflect(), problems, fn)
}

func below(m protoreflect.Message, problems *[]error, fn func(proto.Message, bool)) {
	visit := func(child protoreflect.Message) {
		if a, ok := child.Interface().(*anypb.Any); ok {
			inner, err := a.UnmarshalNew()
			if err != nil {
				*problems = append(*problems, fmt.Errorf("%s: %w", a.GetTypeUrl(), err))
				return
			}
			each(inner, problems, fn)
			return
		}
		fn(child.Interface(), false)
		below(child, problems, fn)
	}
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case fd.IsList():
			if fd.Message() != nil {
				for i, list := 0, v.List(); i < list.Len(); i++ {
					visit(list.Get(i).Message())
				}
			}
		case fd.IsMap():
			if fd.MapValue().Message() != nil {
				v.Map().Range(func(_ protoreflect.MapKey, mv protoreflect.Value) bool {
					visit(mv.Message())
					return true
				})
			}
		case fd.Message() != nil:
			visit(v.Message())
		}
		return true
	})
}
