package ledger

import (
	"github.com/ticketledger/ticketledger/infra/codec"
	"github.com/ticketledger/ticketledger/infra/metrics"
	"github.com/ticketledger/ticketledger/infra/webhook"
)

// WebhookConfig configures webhook delivery (Config.Webhooks).
type WebhookConfig struct {
	// KeyFile is the webhook key every secret is derived from (created
	// when missing). Empty: webhook.KeyFile in the data directory (the
	// snapshot directory on KurrentDB; with neither, webhooks are off).
	// Replicas on one store share one key file's content.
	KeyFile string
	// UnsafeTargets admits http and loopback/private targets: for tests
	// with a local receiver only.
	UnsafeTargets bool
	// Dispatcher tunes delivery (Store, Signer, Key, Guard, Now and Logger
	// are the ledger's).
	Dispatcher webhook.DispatcherConfig
}

// openWebhooks sets up the webhook service and dispatcher.
func (l *Ledger) openWebhooks(cfg Config, snapDir string, signer codec.Signer) error {
	wc := cfg.Webhooks
	if wc == nil {
		return nil
	}
	path := localPath(cfg, snapDir, wc.KeyFile, webhook.KeyFile)
	if path == "" {
		l.log.Warn("webhooks off: no place for the webhook key; give --webhook-key FILE (the same on every replica) or --snapshots DIR")
		return nil
	}
	key, err := webhook.LoadOrCreateKey(path)
	if err != nil {
		return err
	}
	guard := webhook.Guard{Unsafe: wc.UnsafeTargets}
	if guard.Unsafe {
		l.log.Warn("webhook targets are not checked against SSRF (--webhooks-allow-unsafe-targets): loopback, private and http targets are accepted; for tests only")
	}
	l.Webhooks = webhook.NewService(l.Store, signer, key, guard, l.Now)
	dc := wc.Dispatcher
	dc.Store, dc.Signer, dc.Key, dc.Guard, dc.Now, dc.Logger = l.Store, signer, key, guard, l.Now, l.log.With("component", "webhooks")
	l.Dispatcher = webhook.NewDispatcher(dc)
	l.Registry.MustRegister(metrics.WebhookCollectors(func() metrics.WebhookStats {
		s := l.Dispatcher.Stats()
		return metrics.WebhookStats{Delivered: s.Delivered, FailedAttempts: s.FailedAttempts, Parked: s.Parked, Held: s.Held, Leader: s.Leader, Lag: s.Lag}
	})...)
	return nil
}
