package jsonapi

import (
	_ "embed"
	"encoding/json"
)

// openapiDoc is the API's OpenAPI 3.1 document. Every route of the table
// is in it and everything in it is a route (openapi_test.go), each with
// its role as x-role.
//
//go:embed openapi.json
var openapiDoc []byte

func (h *Handler) openAPI(*call) (any, error) { return json.RawMessage(openapiDoc), nil }
