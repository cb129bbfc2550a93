// Package fleetpb holds the fleet's wire messages (fleet.proto) and their
// generated Go code, which is committed: building needs no protoc. After
// an edit of fleet.proto, regenerate with protoc 3.21 or later and
// protoc-gen-go of the google.golang.org/protobuf version in go.mod:
//
//	go generate ./internal/fleet/fleetpb
package fleetpb

//go:generate protoc --go_out=. --go_opt=paths=source_relative fleet.proto
