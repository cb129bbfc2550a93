package xmlrpc

import (
	"fmt"
	"testing"
)

func allProcessInfo(n int) []Struct {
	infos := make([]Struct, n)
	for i := range infos {
		infos[i] = processInfo(fmt.Sprintf("worker_%04d", i), 10000+i)
	}
	return infos
}

func BenchmarkEncodeAllProcessInfo(b *testing.B) {
	infos := allProcessInfo(1000)
	b.ReportAllocs()
	for b.Loop() {
		b.SetBytes(int64(len(EncodeResponse(infos))))
	}
}

func BenchmarkParseAllProcessInfo(b *testing.B) {
	body := EncodeResponse(allProcessInfo(1000))
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseResponse(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseCall(b *testing.B) {
	body := EncodeCall("supervisor.tailProcessStdoutLog", "group:worker_0001", -1600, 1600)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ParseCall(body); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeProcessInfo(b *testing.B) {
	info := processInfo("web", 1234)
	b.ReportAllocs()
	for b.Loop() {
		EncodeResponse(info)
	}
}
