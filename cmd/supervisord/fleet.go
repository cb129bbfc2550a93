package main

import (
	"log/slog"

	"supervisord/actors"
	"supervisord/conf"
	"supervisord/internal/fleet"
	"supervisord/internal/mainlog"
)

// startFleet joins the fleet the config's [fleet] section describes, with
// this daemon's tree as the node's own; nil without the section.
func startFleet(cfg *conf.Config, d *actors.Daemon, log *slog.Logger) (*fleet.Fleet, error) {
	fc := cfg.Fleet
	if fc == nil {
		return nil, nil
	}
	key, err := fc.GossipKey()
	if err != nil {
		return nil, err
	}
	return fleet.Start(fleet.Options{
		Name: fc.Name, Labels: fc.Labels, Listen: fc.Listen, Gossip: fc.Gossip, Seeds: fc.Seeds,
		Certs:     fleet.Certificates{CA: fc.CA, Cert: fc.Cert, Key: fc.Key},
		GossipKey: key, Timeout: fc.Timeout,
		Local: fleet.DaemonLocal{Tree: d, MainLog: mainlog.FilePath(cfg.Supervisord.Logfile)},
		Log:   log,
	})
}
