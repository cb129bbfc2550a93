package jsonapi

import (
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// openapiOp is what the test reads of an operation in the document.
type openapiOp struct {
	Role       string `json:"x-role"`
	Parameters []struct {
		Ref string `json:"$ref"`
	} `json:"parameters"`
	RequestBody *json.RawMessage           `json:"requestBody"`
	Responses   map[string]json.RawMessage `json:"responses"`
}

type openapiDocument struct {
	OpenAPI    string                          `json:"openapi"`
	Servers    []struct{ URL string }          `json:"servers"`
	Paths      map[string]map[string]openapiOp `json:"paths"`
	Components struct {
		Parameters map[string]struct {
			Name string `json:"name"`
			In   string `json:"in"`
		} `json:"parameters"`
		Schemas map[string]json.RawMessage `json:"schemas"`
	} `json:"components"`
}

// The document describes the API as the router serves it: every route
// served is documented and every documented route is served (asked of
// the router itself, with a request for each), each with the route's role,
// query parameters and body, and the success status it answers.
func TestOpenAPIMatchesRouter(t *testing.T) {
	var doc openapiDocument
	if err := json.Unmarshal(openapiDoc, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" || len(doc.Servers) != 1 || doc.Servers[0].URL != Prefix {
		t.Fatalf("openapi %q, servers %v", doc.OpenAPI, doc.Servers)
	}
	h := New(Options{Log: slog.New(slog.DiscardHandler)})
	served := map[string]route{}
	for _, rt := range h.routes {
		served[strings.ToLower(rt.method)+" "+rt.path] = rt
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method, op := range ops {
			key := method + " " + path
			documented[key] = true
			// The router serves it: a request to it finds this very
			// pattern.
			req := httptest.NewRequest(strings.ToUpper(method),
				Prefix+strings.NewReplacer("{name}", "web:web_0", "{stream}", "stdout").Replace(path), nil)
			if _, pattern := h.mux.Handler(req); pattern != strings.ToUpper(method)+" "+Prefix+path {
				t.Errorf("documented %s is not served (the router finds %q)", key, pattern)
				continue
			}
			rt, ok := served[key]
			if !ok {
				t.Errorf("documented %s is not in the route table", key)
				continue
			}
			if op.Role != rt.role.String() {
				t.Errorf("%s: documented role %q, served %s", key, op.Role, rt.role)
			}
			var query []string
			for _, p := range op.Parameters {
				name := strings.TrimPrefix(p.Ref, "#/components/parameters/")
				param, ok := doc.Components.Parameters[name]
				if !ok {
					t.Errorf("%s: no parameter %s", key, p.Ref)
				}
				if param.In == "query" {
					query = append(query, param.Name)
				}
				if param.In == "path" && !strings.Contains(path, "{"+param.Name+"}") {
					t.Errorf("%s: path parameter %s not in the path", key, param.Name)
				}
			}
			var takes []string
			for name := range rt.query {
				takes = append(takes, name)
			}
			slices.Sort(query)
			slices.Sort(takes)
			if !slices.Equal(query, takes) {
				t.Errorf("%s: documented query %v, served %v", key, query, takes)
			}
			if (op.RequestBody != nil) != (rt.body != nil) {
				t.Errorf("%s: documented body %t, served %t", key, op.RequestBody != nil, rt.body != nil)
			}
			status := "200"
			if rt.status != 0 {
				status = "202"
			}
			if _, ok := op.Responses[status]; !ok {
				t.Errorf("%s: no %s response documented", key, status)
			}
			if _, ok := op.Responses["403"]; !ok && rt.role > 0 {
				t.Errorf("%s: its 403 is not documented", key)
			}
		}
	}
	for key := range served {
		if !documented[key] {
			t.Errorf("served %s is not documented", key)
		}
	}
	// Every $ref points at something.
	for _, ref := range refs(t, openapiDoc) {
		parts := strings.Split(strings.TrimPrefix(ref, "#/components/"), "/")
		var found bool
		switch parts[0] {
		case "schemas":
			_, found = doc.Components.Schemas[parts[1]]
		case "parameters":
			_, found = doc.Components.Parameters[parts[1]]
		case "responses":
			found = strings.Contains(string(openapiDoc), `"`+parts[1]+`": {`)
		}
		if !found {
			t.Errorf("dangling %s", ref)
		}
	}
}

// refs lists every "$ref" in a JSON document.
func refs(t *testing.T, doc []byte) []string {
	var v any
	if err := json.Unmarshal(doc, &v); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, y := range x {
				if s, ok := y.(string); ok && k == "$ref" {
					out = append(out, s)
				}
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	walk(v)
	return out
}

// The document is served as it is embedded.
func TestOpenAPIServed(t *testing.T) {
	f := startFixture(t, testConf)
	r := f.do("GET", "/api/v1/openapi.json", "", "X-Test-Role", "none")
	var served, embedded any
	json.Unmarshal(r.body, &served)
	json.Unmarshal(openapiDoc, &embedded)
	if r.status != 200 || !jsonEqual(served, embedded) {
		t.Errorf("served %d, %d bytes", r.status, len(r.body))
	}
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
