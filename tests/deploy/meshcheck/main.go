// meshcheck validates deploy/mesh's Envoy bootstrap and Istio objects offline, with
// the schemas of the Envoy and Istio releases go.mod pins:
//
//	meshcheck FILE.yaml...
//
// An Envoy bootstrap (a document with static_resources) must parse strictly into
// envoy.config.bootstrap.v3.Bootstrap (no unknown field, every enum and duration
// well formed, every typed_config's @type known), pass the protoc-gen-validate rules
// of every message (inside each Any too), and route only to clusters it defines.
// An Istio object (apiVersion *.istio.io/*) must name a known kind and its spec must
// parse strictly into that kind's istio.io/api message. Exit status 1 on any problem.
package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
	yamlv3 "sigs.k8s.io/yaml/goyaml.v3"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: meshcheck FILE.yaml...")
		os.Exit(2)
	}
	failed := false
	for _, path := range os.Args[1:] {
		problems := checkFile(path)
		for _, p := range problems {
			fmt.Printf("%s: %s\n", path, p)
		}
		if len(problems) == 0 {
			fmt.Printf("%s: ok\n", path)
		}
		failed = failed || len(problems) > 0
	}
	if failed {
		os.Exit(1)
	}
}

func checkFile(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return []string{err.Error()}
	}
	docs, err := splitDocuments(data)
	if err != nil {
		return []string{err.Error()}
	}
	var problems []string
	for i, doc := range docs {
		var head struct {
			APIVersion      string         `json:"apiVersion"`
			StaticResources map[string]any `json:"static_resources"`
		}
		if err := yaml.Unmarshal(doc, &head); err != nil {
			problems = append(problems, fmt.Sprintf("document %d: %v", i+1, err))
			continue
		}
		var errs []error
		switch {
		case head.StaticResources != nil:
			errs = checkEnvoy(doc)
		case strings.Contains(head.APIVersion, ".istio.io/"):
			errs = checkIstio(doc)
		default:
			errs = []error{errors.New("neither an Envoy bootstrap nor an Istio object")}
		}
		for _, e := range errs {
			problems = append(problems, fmt.Sprintf("document %d: %v", i+1, e))
		}
	}
	return problems
}

// splitDocuments returns each YAML document of a stream as its own bytes.
func splitDocuments(data []byte) ([][]byte, error) {
	decoder := yamlv3.NewDecoder(bytes.NewReader(data))
	var docs [][]byte
	for {
		var node yamlv3.Node
		if err := decoder.Decode(&node); errors.Is(err, io.EOF) {
			return docs, nil
		} else if err != nil {
			return nil, err
		}
		out, err := yamlv3.Marshal(&node)
		if err != nil {
			return nil, err
		}
		docs = append(docs, out)
	}
}
