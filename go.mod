module supervisord

go 1.26.8

require (
	github.com/asynkron/protoactor-go v0.0.0-20240822202345-3c0e61ca19c9 // indirect
	github.com/fsnotify/fsnotify v1.10.1 // indirect
	github.com/lmittmann/tint v1.2.1 // indirect
	golang.org/x/sys v0.19.0 // indirect
	gopkg.in/ini.v1 v1.67.3 // indirect
)
