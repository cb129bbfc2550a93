package conf

import (
	"log/syslog"
	"os"
	"strconv"
	"syscall"
	"time"

	"supervisord/internal/auth"
	"supervisord/internal/logfmt"
)

// Config is a fully parsed and defaulted supervisord.conf.
type Config struct {
	// Path is the absolute path of the main config file; Files lists it and every
	// included file in the order they were read (the reload watcher needs them).
	Path  string
	Files []string
	// IncludeGlobs are the absolute [include] files= patterns, so a watcher can
	// notice a new file that would match.
	IncludeGlobs []string
	// Warnings and Infos are the notes the reference logs at startup after
	// reading a config (unmatched include patterns, deprecated syslog
	// logfiles, included files, ...), in its words.
	Warnings []string
	Infos    []string
	// OwnWarnings are the Warnings this project adds to the reference's
	// (repeated sections and options), with their file and line; each is
	// in Warnings too, as logged.
	OwnWarnings []Warning

	Supervisord    Supervisord
	UnixHTTPServer *UnixHTTPServer // nil when the section is absent
	InetHTTPServer *InetHTTPServer // nil when the section is absent
	// The reference serves every section whose name starts with
	// "unix_http_server" or "inet_http_server" (say [inet_http_server:lan]);
	// these list them all in file order, the singular fields being the first.
	UnixHTTPServers []*UnixHTTPServer
	InetHTTPServers []*InetHTTPServer
	Supervisorctl   Supervisorctl
	RPCInterfaces   []RPCInterface
	// Users are the [user:NAME] sections in file order (an extension).
	Users []*User
	// Fleet is the [fleet] section (an extension); nil when it is absent.
	Fleet *Fleet

	// Groups holds every process group ([program:x], [group:x],
	// [eventlistener:x], [fcgi-program:x]), sorted by Priority then Name, the
	// order the reference starts them in.
	Groups []*Group
}

// Supervisord is the [supervisord] section.
type Supervisord struct {
	Logfile         string      // absolute; default "supervisord.log" in the cwd; "syslog" stays as is
	LogfileMaxBytes int64       // default 50MB; 0 means never rotate
	LogfileBackups  int         // default 10
	LogLevel        LogLevel    // default info
	Pidfile         string      // absolute; default "supervisord.pid" in the cwd
	Umask           os.FileMode // default 022
	Nodaemon        bool        // default false
	Silent          bool        // default false
	Minfds          uint64      // default 1024
	Minprocs        uint64      // default 200
	NoCleanup       bool        // default false
	ChildLogDir     string      // default os.TempDir()
	User            string      // "" when unset
	UID, GID        int         // User's uid and primary gid; -1 when unset
	Directory       string      // "" when unset
	StripANSI       bool        // default false
	Environment     []EnvVar    // default none
	Identifier      string      // default "supervisor"
	// AutoReload turns the config watcher on; an extension the reference ignores.
	AutoReload bool // default true
	// ExitWhenAllDone stops the daemon once no program runs or will be
	// restarted (exit_when_all_done=, an extension; default false).
	ExitWhenAllDone bool
	// LogFormat is logformat= (an extension): text, the default, writes
	// the reference's lines; json one JSON object a line.
	LogFormat LogFormat
	// EventHistory is event_history= (an extension): how many of the
	// latest events the daemon keeps for the JSON API's event stream to
	// replay to a client that reconnects; default 10000, at least 1.
	EventHistory int
	// StateFile is statefile= (an extension): where the operator's
	// lasting intent (disable, a remembered stop) is kept across
	// restarts; absolute; default supervisord.state in the pidfile's
	// directory.
	StateFile string
}

// LogLevel is one of the reference's level names, ordered like its numbers.
type LogLevel int

// The reference's levels (supervisor/loggers.py LevelsByName) with its numbers.
const (
	LevelBlather  LogLevel = 3
	LevelTrace    LogLevel = 5
	LevelDebug    LogLevel = 10
	LevelInfo     LogLevel = 20
	LevelWarn     LogLevel = 30
	LevelError    LogLevel = 40
	LevelCritical LogLevel = 50
)

// UnixHTTPServer is [unix_http_server].
type UnixHTTPServer struct {
	Name     string      // the part after "unix_http_server:"; "" for the plain section
	File     string      // required
	Chmod    os.FileMode // default 0700
	ChownUID int         // -1 when unset
	ChownGID int         // -1 when unset
	Username string      // "" when unset
	Password string      // "" when unset; may be "{SHA}hex"
	// PeerRoles is peer_roles= (an extension): the role a connecting
	// process gets by its uid (SO_PEERCRED), without credentials; nil
	// when unset.
	PeerRoles []PeerRole
}

// PeerRole is one UID_OR_USER:ROLE entry of peer_roles=, the user already
// resolved to its uid.
type PeerRole struct {
	UID  int
	Role auth.Role
}

// User is a [user:NAME] section (an extension): an account of every HTTP
// server, beside the servers' own username/password.
type User struct {
	Name     string    // the part after "user:"
	Password string    // as written: plain, "{SHA}hex" or a bcrypt hash (checked at load)
	Role     auth.Role // role=; default read
}

// InetHTTPServer is [inet_http_server].
type InetHTTPServer struct {
	Name     string // the part after "inet_http_server:"; "" for the plain section
	Host     string // "" for all interfaces ("*:9001" or ":9001")
	Port     int    // required
	Username string
	Password string
	// CertFile and KeyFile (certfile=, keyfile=; extensions, both or
	// neither) serve HTTPS, HTTP/2 included; ClientCA (client_ca=) then
	// admits only clients with a certificate it signed. Absolute paths,
	// "" when unset; the files are read and checked at load.
	CertFile, KeyFile, ClientCA string
}

// Supervisorctl is [supervisorctl].
type Supervisorctl struct {
	ServerURL   string // default "http://localhost:9001"
	Username    string
	Password    string
	Prompt      string // default "supervisor"
	HistoryFile string // "" when unset
}

// RPCInterface is an [rpcinterface:x] section, kept for getAllConfigInfo and
// for refusing factories we do not provide.
type RPCInterface struct {
	Name    string
	Factory string            // supervisor.rpcinterface_factory
	Options map[string]string // the section's other options
}

// GroupKind says which section made a group.
type GroupKind int

const (
	KindProgram       GroupKind = iota // [program:x] or [group:x]
	KindEventListener                  // [eventlistener:x]
	KindFCGIProgram                    // [fcgi-program:x]
)

// Group is a process group: what reread/update add, change and remove.
type Group struct {
	Name     string
	Kind     GroupKind
	Priority int // default 999 (-1 for eventlisteners)
	// Processes in start order: each program's instances sorted by Priority
	// then Name, programs in the order a [group:x] lists them.
	Processes []*Process

	// A group of one [program:x]: its numprocs=, and Scale, which makes
	// its processes again for n instances as numprocs=n would (nil for
	// any other group). Equal leaves both out: what counts is the
	// processes they make.
	Numprocs int
	Scale    func(n int) ([]*Process, error)

	// Eventlistener pools only.
	BufferSize    int      // default 10
	Events        []string // event type names, validated
	ResultHandler string   // default "supervisor.dispatchers:default_handler"

	// fcgi-program only.
	Socket        string // "tcp://host:port" or "unix:///path"
	SocketBacklog int    // 0 when unset (the reference then uses socket.SOMAXCONN)
	SocketOwner   string // "" when unset; "user" or "user:group"
	// SocketOwnerUID/GID are what the socket is chowned to, -1 for "leave
	// alone"; like the reference, without socket_owner a unix socket goes
	// to the program's user when that differs from ours.
	SocketOwnerUID, SocketOwnerGID int
	SocketMode                     os.FileMode // default 0700
}

// Process is one process instance (a [program] with numprocs=3 yields three).
type Process struct {
	Name    string // process name after process_name expansion
	Group   string // name of the group it belongs to
	Program string // the section's program name
	Command string // the expanded command line, as written
	// Argv is Command split like Python's shlex.split; nil when it cannot
	// be split, which the reference only reports at spawn time (SplitCommand
	// gives the reason).
	Argv     []string
	Priority int // default 999

	Directory string      // "" when unset
	Umask     os.FileMode // meaningful only when HasUmask
	HasUmask  bool
	User      string // "" when unset
	UID       int    // -1 when User is unset
	GID       int    // primary gid of User, -1 when unset

	AutoStart    bool        // default true
	AutoRestart  AutoRestart // default unexpected
	StartSecs    time.Duration
	StartRetries int            // default 3; UnlimitedRetries for "unlimited"
	ExitCodes    []int          // default [0]
	StopSignal   syscall.Signal // default SIGTERM
	StopWaitSecs time.Duration  // default 10s
	StopAsGroup  bool
	KillAsGroup  bool // default = StopAsGroup
	// KeepOnDaemonDeath (keep_on_daemon_death, default false) lets the
	// process outlive the daemon; otherwise it is killed when the daemon
	// dies, SIGKILL and crashes included.
	KeepOnDaemonDeath bool

	// Essential makes the daemon stop, with this program's exit status,
	// when it ends for good (essential=, an extension; default false).
	Essential bool

	RedirectStderr bool
	Stdout         LogConfig
	Stderr         LogConfig
	// SyslogFacility (syslog_facility, an extension) is the facility of
	// what *_syslog sends; default user, as the reference.
	SyslogFacility SyslogFacility

	// Environment is [supervisord] environment= overlaid with the program's
	// own, as the reference merges them: in first-seen order, later values
	// replacing earlier ones in place; nil when both are unset.
	Environment []EnvVar
	ServerURL   string // "" when unset (SUPERVISOR_SERVER_URL then comes from the daemon)
	// EnvFiles is environment_file=, read at each spawn: their variables
	// come after SUPERVISOR_* and before Environment. nil when unset.
	EnvFiles []EnvFile
	// Rlimits is the rlimit_x options that are set, in resource order,
	// applied in the child before exec; nil when none is (the child then
	// inherits the daemon's limits).
	Rlimits []Rlimit

	// Lifecycle is depends_on=, ready=, health=, backoff= and their
	// kin (lifecycle.go); when none is set, their defaults (60s ready
	// timeout, 10s health interval, 5s health timeout, 3 health retries),
	// which act as the reference does.
	Lifecycle Lifecycle

	// Schedule is schedule= and its kin (schedule.go), [program:x] only;
	// nil when unset. A scheduled program has AutoStart false and
	// AutoRestart RestartNever whatever the file says.
	Schedule *Schedule
	// Sources are the sections that define the process as its files wrote
	// them (source.go): its [program:x], [fcgi-program:x] or
	// [eventlistener:x], then, for a member of a [group:y], that group's.
	// Equal ignores them: where a setting is written is not a setting.
	Sources []Source
}

// LogConfig is the stdout_* or stderr_* option family of a program.
type LogConfig struct {
	// Logfile is a path, "" for NONE, or AutoLog for AUTO (a file in childlogdir
	// created at spawn time).
	Logfile         string
	MaxBytes        int64 // default 50MB; 0 never rotates
	Backups         int   // default 10
	CaptureMaxBytes int64 // default 0 (capture mode off); eventlisteners ignore it on stdout
	EventsEnabled   bool
	Syslog          bool
	// Rotate and Compress are *_logfile_rotate and *_logfile_compress
	// (logrotate.go); their defaults, size and none, act as the reference.
	Rotate   LogRotate
	Compress LogCompress
	// Format (stdout_log_format, an extension) is how lines are written to
	// the log file and syslog: logfmt.Raw (the default), Timestamped or
	// JSON. Capture mode and PROCESS_LOG events see the output as written.
	Format logfmt.Format
	// Prefix (stdout_log_prefix, default false) starts each line with
	// "NAME | ", NAME the process name; refused with JSON.
	Prefix bool
	// SyslogTag (stdout_syslog_tag) is the tag Syslog's lines go under;
	// "" (the default) sends them as the reference does, under the
	// daemon's name, each starting with the process name.
	SyslogTag string
}

// AutoLog is LogConfig.Logfile's value for "AUTO".
const AutoLog = "\x00AUTO"

// SyslogFacility is a syslog facility a program may log under; the zero
// value is user.
type SyslogFacility uint8

const (
	FacilityUser SyslogFacility = iota
	FacilityDaemon
	FacilityLocal0
	FacilityLocal1
	FacilityLocal2
	FacilityLocal3
	FacilityLocal4
	FacilityLocal5
	FacilityLocal6
	FacilityLocal7
)

func (f SyslogFacility) String() string {
	switch {
	case f == FacilityUser:
		return "user"
	case f == FacilityDaemon:
		return "daemon"
	case f <= FacilityLocal7:
		return "local" + strconv.Itoa(int(f-FacilityLocal0))
	}
	return "SyslogFacility(" + strconv.Itoa(int(f)) + ")"
}

// Priority is the facility as log/syslog numbers it.
func (f SyslogFacility) Priority() syslog.Priority {
	switch {
	case f == FacilityDaemon:
		return syslog.LOG_DAEMON
	case f >= FacilityLocal0 && f <= FacilityLocal7:
		return syslog.LOG_LOCAL0 + syslog.Priority(f-FacilityLocal0)<<3
	}
	return syslog.LOG_USER
}

// AutoRestart is the autorestart option.
type AutoRestart int

const (
	RestartUnexpected AutoRestart = iota // "unexpected", the default
	RestartAlways                        // "true"
	RestartNever                         // "false"
)

// EnvVar is one KEY=value of an environment option.
type EnvVar struct {
	Key, Value string
}
