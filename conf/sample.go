package conf

// Sample returns the example config echo_supervisord_conf prints: a working
// minimal setup plus every other section and option, commented out, at its
// default or an illustrative value.
func Sample() string { return sample }

const sample = `; Example supervisord configuration.
;
; Lines starting with ";" or "#" are comments, as is anything after a ";" or
; "#" that follows a space. Values may use %(here)s (this file's directory)
; and %(ENV_NAME)s (an environment variable); program sections may also use
; %(program_name)s, %(group_name)s, %(process_num)d, %(numprocs)d and
; %(host_node_name)s. Write %% for a literal percent sign.
;
; Uncomment an option to change it; the values shown are the defaults unless
; they say otherwise.

[unix_http_server]
file=/tmp/supervisor.sock   ; socket supervisorctl talks to (required here)
;chmod=0700                 ; permission bits of the socket file
;chown=nobody:nogroup       ; owner[:group] of the socket file
;username=user              ; require this user name (default: no auth)
;password=123               ; and this password; may be {SHA}<hex sha1>
;peer_roles=0:admin         ; UID_OR_USER:ROLE, ...: role of a connecting process by its uid (default none)

;[inet_http_server]         ; the HTTP/XML-RPC server on TCP (off by default)
;port=127.0.0.1:9001        ; host:port, or *:port / :port for all interfaces
;username=user              ; require this user name (default: no auth)
;password=123               ; and this password; may be {SHA}<hex sha1>
;certfile=/etc/ssl/sv.pem   ; with keyfile: serve HTTPS and HTTP/2 (default plain HTTP)
;keyfile=/etc/ssl/sv-key.pem ; the certificate's private key (PEM)
;client_ca=/etc/ssl/ca.pem  ; admit only clients with a certificate it signed (default any)

;[user:alice]               ; an account of every server, beside their own username
;password=secret            ; plain, {SHA}<hex sha1>, or a bcrypt hash ($2a$, $2b$, $2y$)
;role=read                  ; read, operate or admin (default read)

[supervisord]
logfile=/tmp/supervisord.log ; main log; default supervisord.log in the cwd
logfile_maxbytes=50MB        ; rotate the main log at this size; 0 never rotates
logfile_backups=10           ; rotated main logs to keep; 0 keeps none
loglevel=info                ; critical, error, warn, info, debug, trace, blather
pidfile=/tmp/supervisord.pid ; where to write our pid; default supervisord.pid
nodaemon=false               ; true stays in the foreground
silent=false                 ; true stops the foreground log echo on stdout
minfds=1024                  ; refuse to start with fewer file descriptors
minprocs=200                 ; refuse to start with fewer process slots
;umask=022                   ; umask of the daemon and its children
;user=supervisord            ; drop privileges to this user when run as root
;identifier=supervisor       ; name reported over XML-RPC
;directory=/tmp              ; chdir here when daemonizing (default: stay)
;nocleanup=true              ; keep old AUTO child logs at startup (default false)
;childlogdir=/tmp            ; where AUTO child logs go (default: the temp dir)
;environment=KEY="value"     ; extra environment for every child (default none)
;strip_ansi=false            ; remove ANSI escapes from child logs
;autoreload=true             ; reread and apply this file when it changes
;event_history=10000         ; events kept for the JSON API's /api/v1/events replay

; The rpcinterface section must stay for supervisorctl and the web UI to work.
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix:///tmp/supervisor.sock ; unix:// path or http:// URL of supervisord
;serverurl=http://127.0.0.1:9001 ; to use the inet_http_server instead
;username=chris              ; must match the server's username
;password=123                ; must match the server's password (not its {SHA})
;prompt=mysupervisor         ; prompt of the interactive shell (default supervisor)
;history_file=~/.sc_history  ; keep readline history here (default none)

; A program section runs one command, or numprocs copies of it. Every option
; except command is optional.

;[program:theprogramname]
;command=/bin/cat              ; the program and its arguments (required)
;process_name=%(program_name)s ; needs %(process_num)s when numprocs > 1
;numprocs=1                    ; how many copies to run
;numprocs_start=0              ; first %(process_num)s
;directory=/tmp                ; chdir here before exec (default: no chdir)
;umask=022                     ; umask of the process (default: inherited)
;priority=999                  ; lower starts earlier and stops later
;autostart=true                ; start when supervisord starts
;startsecs=1                   ; seconds it must stay up to count as started
;startretries=3                ; failed starts before giving up (FATAL)
;autorestart=unexpected        ; restart on exit: false, unexpected or true
;exitcodes=0                   ; exit codes that are expected (comma list)
;stopsignal=TERM               ; signal to stop it: TERM, HUP, INT, QUIT, KILL, USR1, USR2
;stopwaitsecs=10               ; wait this long after stopsignal before SIGKILL
;stopasgroup=false             ; send stopsignal to the whole process group
;killasgroup=false             ; send SIGKILL to the whole process group
;user=chrism                   ; run as this user (supervisord must be root)
;redirect_stderr=false         ; send stderr to the stdout log
;stdout_logfile=AUTO           ; a path, NONE, or AUTO for a file in childlogdir
;stdout_logfile_maxbytes=50MB  ; rotate at this size; 0 never rotates
;stdout_logfile_backups=10     ; rotated logs to keep; 0 keeps none
;stdout_capture_maxbytes=0     ; capture-mode buffer for PROCESS_COMMUNICATION events
;stdout_events_enabled=false   ; emit PROCESS_LOG_STDOUT events
;stdout_syslog=false           ; also send the output to syslog
;stderr_logfile=AUTO           ; a path, NONE, or AUTO for a file in childlogdir
;stderr_logfile_maxbytes=50MB  ; rotate at this size; 0 never rotates
;stderr_logfile_backups=10     ; rotated logs to keep; 0 keeps none
;stderr_capture_maxbytes=0     ; capture-mode buffer for PROCESS_COMMUNICATION events
;stderr_events_enabled=false   ; emit PROCESS_LOG_STDERR events
;stderr_syslog=false           ; also send the output to syslog
;environment=A="1",B="2"       ; added to the process environment
;serverurl=AUTO                ; SUPERVISOR_SERVER_URL for the child

; An eventlistener section is a pool of processes that receive events on
; stdin. It takes the program options except redirect_stderr, plus these.

;[eventlistener:theeventlistenername]
;command=/bin/eventlistener    ; the listener and its arguments (required)
;events=EVENT                  ; event types to subscribe to (required)
;buffer_size=10                ; events queued before the oldest is dropped
;result_handler=supervisor.dispatchers:default_handler
;priority=-1                   ; listeners start first and stop last
;process_name=%(program_name)s ; needs %(process_num)s when numprocs > 1
;numprocs=1                    ; how many listeners in the pool
;autostart=true                ; start when supervisord starts
;autorestart=unexpected        ; restart on exit: false, unexpected or true
;stdout_logfile=AUTO           ; stdout carries the protocol; only stderr is free text
;stderr_logfile=AUTO           ; a path, NONE, or AUTO for a file in childlogdir

; A fcgi-program section runs FastCGI processes sharing one listening socket.
; It takes the program options plus these.

;[fcgi-program:thefcgiprogramname]
;command=/usr/bin/php-cgi      ; the program and its arguments (required)
;socket=unix:///tmp/%(program_name)s.sock ; or tcp://host:port (required)
;socket_owner=chrism           ; owner[:group] of a unix socket
;socket_mode=0700              ; permission bits of a unix socket
;socket_backlog=128            ; listen() backlog (default: the system's maximum)
;process_name=%(program_name)s_%(process_num)s
;numprocs=2

; A group section gathers programs under one name; those programs then do
; not form groups of their own.

;[group:thegroupname]
;programs=theprogramname,thefcgiprogramname ; program or fcgi-program names
;priority=999                  ; lower starts earlier and stops later

; The include section reads more files: space-separated glob patterns,
; relative to this file's directory.

;[include]
;files = relative/directory/*.ini
`
