package main

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"istio.io/api/networking/v1alpha3"
	"sigs.k8s.io/yaml"

	networkingv1 "istio.io/api/networking/v1"
	securityv1 "istio.io/api/security/v1"
)

// kinds maps apiVersion/kind to a new spec message of the pinned Istio release.
var kinds = map[string]func() proto.Message{
	"networking.istio.io/v1/VirtualService":      func() proto.Message { return &networkingv1.VirtualService{} },
	"networking.istio.io/v1/DestinationRule":     func() proto.Message { return &networkingv1.DestinationRule{} },
	"networking.istio.io/v1alpha3/EnvoyFilter":   func() proto.Message { return &v1alpha3.EnvoyFilter{} },
	"security.istio.io/v1/PeerAuthentication":    func() proto.Message { return &securityv1.PeerAuthentication{} },
	"security.istio.io/v1/AuthorizationPolicy":   func() proto.Message { return &securityv1.AuthorizationPolicy{} },
	"security.istio.io/v1/RequestAuthentication": func() proto.Message { return &securityv1.RequestAuthentication{} },
}

var allowedKeys = map[string]map[string]bool{
	"":         {"apiVersion": true, "kind": true, "metadata": true, "spec": true},
	"metadata": {"name": true, "namespace": true, "labels": true, "annotations": true},
}

func checkIstio(doc []byte) []error {
	js, err := yaml.YAMLToJSON(doc)
	if err != nil {
		return []error{err}
	}
	var object map[string]json.RawMessage
	if err := json.Unmarshal(js, &object); err != nil {
		return []error{err}
	}
	var problems []error
	problems = append(problems, unknownKeys("", object)...)
	var head struct {
		APIVersion string                     `json:"apiVersion"`
		Kind       string                     `json:"kind"`
		Metadata   map[string]json.RawMessage `json:"metadata"`
	}
	if err := json.Unmarshal(js, &head); err != nil {
		return append(problems, err)
	}
	problems = append(problems, unknownKeys("metadata", head.Metadata)...)
	if _, ok := head.Metadata["name"]; !ok {
		problems = append(problems, fmt.Errorf("metadata.name is missing"))
	}
	newSpec, ok := kinds[head.APIVersion+"/"+head.Kind]
	if !ok {
		return append(problems, fmt.Errorf("unknown kind %s %s", head.APIVersion, head.Kind))
	}
	spec := newSpec()
	if err := protojson.Unmarshal(object["spec"], spec); err != nil {
		return append(problems, fmt.Errorf("%s %s spec: %w", head.Kind, name(head.Metadata), err))
	}
	if f, ok := spec.(*v1alpha3.EnvoyFilter); ok {
		problems = append(problems, checkEnvoyFilter(f)...)
	}
	if p, ok := spec.(*securityv1.AuthorizationPolicy); ok {
		problems = append(problems, checkAuthorizationPolicy(p)...)
	}
	return problems
}

func name(metadata map[string]json.RawMessage) string {
	var n string
	_ = json.Unmarshal(metadata["name"], &n)
	return n
}

func unknownKeys(where string, object map[string]json.RawMessage) []error {
	var problems []error
	var keys []string
	for k := range object {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !allowedKeys[where][k] {
			problems = append(problems, fmt.Errorf("unknown field %q in %s", k, strings.TrimPrefix(where+" object", " ")))
		}
	}
	return problems
}

// checkEnvoyFilter parses each patch value's typed_config strictly as the Envoy type
// its @type names, as Envoy would once Istio merged it.
func checkEnvoyFilter(f *v1alpha3.EnvoyFilter) []error {
	var problems []error
	for i, patch := range f.GetConfigPatches() {
		typed := patch.GetPatch().GetValue().GetFields()["typed_config"]
		if typed == nil {
			continue
		}
		js, err := protojson.Marshal(typed)
		if err != nil {
			problems = append(problems, err)
			continue
		}
		// protojson's Any form: the object is parsed strictly as the type @type names.
		if err := protojson.Unmarshal(js, &anypb.Any{}); err != nil {
			problems = append(problems, fmt.Errorf("configPatches[%d].patch.value.typed_config: %w", i, err))
		}
	}
	return problems
}

// checkAuthorizationPolicy applies istiod's rule for paths, which the CRD schema does
// not carry: one '*' at most, at the start or the end.
func checkAuthorizationPolicy(p *securityv1.AuthorizationPolicy) []error {
	var problems []error
	for _, rule := range p.GetRules() {
		for _, to := range rule.GetTo() {
			op := to.GetOperation()
			for _, path := range append(op.GetPaths(), op.GetNotPaths()...) {
				inner := strings.TrimSuffix(strings.TrimPrefix(path, "*"), "*")
				if strings.Contains(inner, "*") || (path != "*" && strings.HasPrefix(path, "*") && strings.HasSuffix(path, "*")) {
					problems = append(problems, fmt.Errorf("path %q: Istio allows one '*', at the start or the end", path))
				}
			}
		}
		for _, from := range rule.GetFrom() {
			for _, principal := range from.GetSource().GetPrincipals() {
				if strings.HasPrefix(principal, "spiffe://") {
					problems = append(problems, fmt.Errorf("principal %q: Istio's principals have no spiffe:// prefix", principal))
				}
			}
		}
	}
	return problems
}
