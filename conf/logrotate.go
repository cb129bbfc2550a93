package conf

// Rotation and compression of child logs, and the main log's format:
// extensions the reference ignores (issue 15). Each value is one word.

// LogRotate is stdout_logfile_rotate / stderr_logfile_rotate: when a log
// is rotated besides reaching its maxbytes.
type LogRotate int

const (
	RotateSize   LogRotate = iota // "size", the default: at maxbytes alone, as the reference
	RotateHourly                  // "hourly": at the top of every hour of local time too
	RotateDaily                   // "daily": at every local midnight too
)

func (r LogRotate) String() string {
	switch r {
	case RotateHourly:
		return "hourly"
	case RotateDaily:
		return "daily"
	}
	return "size"
}

// LogCompress is stdout_logfile_compress / stderr_logfile_compress.
type LogCompress int

const (
	CompressNone LogCompress = iota // "none", the default
	CompressGzip                    // "gzip": backups become NAME.N.gz, in the background
)

func (c LogCompress) String() string {
	if c == CompressGzip {
		return "gzip"
	}
	return "none"
}

// LogFormat is [supervisord] logformat: how the main log's lines look.
type LogFormat int

const (
	LogText LogFormat = iota // "text", the default: the reference's lines
	LogJSON                  // "json": one JSON object a line
)

func (f LogFormat) String() string {
	if f == LogJSON {
		return "json"
	}
	return "text"
}

func parseMainLogFormat(s string) (LogFormat, error) {
	return parseWord("logformat", s, LogText, LogJSON)
}

// rotationOptions are the options of one stream's rotation; key is
// "stdout_logfile" or "stderr_logfile".
func rotationOptions(key string, lc *LogConfig) []option {
	rotate, compress := key+"_rotate", key+"_compress"
	return []option{
		opt(rotate, RotateSize.String(), &lc.Rotate, func(s string) (LogRotate, error) {
			return parseWord(rotate, s, RotateSize, RotateHourly, RotateDaily)
		}),
		opt(compress, CompressNone.String(), &lc.Compress, func(s string) (LogCompress, error) {
			return parseWord(compress, s, CompressNone, CompressGzip)
		}),
	}
}
