package actors

import cmap "github.com/orcaman/concurrent-map"

// protoactor's process registry is 1024 buckets of concurrent maps, each
// split again into concurrent-map's SHARD_COUNT (32) locked maps: 32,768
// maps, about 4 MB allocated by every actor system before its first actor
// and scanned by every GC. The 1024 buckets already spread the locks
// thinner than a daemon's few busy actors need, so each bucket is one map.
// The library reads SHARD_COUNT on every lookup: it is set here, before
// any actor system exists, and never again.
func init() { cmap.SHARD_COUNT = 1 }
