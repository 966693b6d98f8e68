// Package testbed starts a complete, signing simulation in one call: the NCA with OCSP and CRL,
// the gateway with its journal, a reference owner serving one service and an initiator granted
// access to it. The load command and the load scenarios run against it.
package testbed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/gateway"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/owner"
)

// Names of the testbed's systems and service.
const (
	InitiatorID = "LOAD_INITIATOR_SYS"
	OwnerID     = "LOAD_OWNER_SYS"
	ServiceID   = "LOAD_SERVICE"

	initiatorBIN = "100000000001"
	ownerBIN     = "100000000002"
	gatewayBIN   = "100000000000"
)

// Bed is a running simulation.
type Bed struct {
	Journal   *journal.Journal
	Gateway   *server.Server
	Owner     *owner.Owner
	Initiator *owner.Initiator
	// Participant is the initiator on the asynchronous channel, signing with the same certificate.
	// Nobody pulls in a load run: accepted messages wait in the store.
	Participant *owner.Participant

	servers    []*server.Server
	ownJournal bool
	async      *gateway.Async
	store      *store.Store
	tempDir    string
}

// Options configure a Bed.
type Options struct {
	Limits      rule.Limits
	Journal     *journal.Journal // shared journal; when nil, one is opened at JournalPath
	JournalPath string
	// StorePath is the asynchronous channel's message store; when empty, one is made in a
	// temporary folder removed by Close.
	StorePath string
}

// Start brings the whole simulation up on loopback ports.
func Start(o Options) (*Bed, error) {
	b := &Bed{Journal: o.Journal}
	bed, err := b.start(o)
	if err != nil {
		b.Close(context.Background())
	}
	return bed, err
}

func (b *Bed) start(o Options) (*Bed, error) {
	var err error
	if b.Journal == nil {
		if o.JournalPath == "" {
			return nil, fmt.Errorf("testbed: a journal or a journal path is needed")
		}
		if err := os.MkdirAll(filepath.Dir(o.JournalPath), 0o755); err != nil {
			return nil, err
		}
		if b.Journal, err = journal.Open(filepath.Clean(o.JournalPath)); err != nil {
			return nil, err
		}
		b.ownJournal = true
	}
	ca, err := nca.New("shepconf NCA")
	if err != nil {
		return nil, err
	}
	caSrv, err := ca.Serve("127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.servers = append(b.servers, caSrv)
	issue := func(cn, bin string) (*nca.Identity, error) {
		return ca.Issue(nca.Subject{CommonName: cn, BIN: bin}, nca.ECDSAP256)
	}
	gwID, err := issue("SHEP gateway", gatewayBIN)
	if err != nil {
		return nil, err
	}
	ownerCert, err := issue(OwnerID, ownerBIN)
	if err != nil {
		return nil, err
	}
	initCert, err := issue(InitiatorID, initiatorBIN)
	if err != nil {
		return nil, err
	}
	checker := &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}

	b.Owner = owner.New(OwnerID)
	b.Owner.Identity, b.Owner.Checker, b.Owner.GatewayID = ownerCert, checker, gatewayBIN
	ownerSrv, err := server.Start("127.0.0.1:0", b.Owner)
	if err != nil {
		return nil, err
	}
	b.servers = append(b.servers, ownerSrv)

	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: InitiatorID, Password: "load-secret", Identifier: initiatorBIN})
	reg.AddSystem(gateway.System{ID: OwnerID, Password: "owner-secret", Identifier: ownerBIN})
	reg.AddService(gateway.Service{ID: ServiceID, Owner: OwnerID, Endpoint: ownerSrv.URL() + "/sync"})
	reg.Grant(ServiceID, InitiatorID)
	gw, err := gateway.New(reg, b.Journal, gateway.WithLimits(o.Limits),
		gateway.WithSignatures(gateway.Signatures{Identity: gwID, Checker: checker}))
	if err != nil {
		return nil, err
	}
	if o.StorePath == "" {
		if b.tempDir, err = os.MkdirTemp("", "shepconf-testbed-"); err != nil {
			return nil, err
		}
		o.StorePath = filepath.Join(b.tempDir, "store.sqlite")
	}
	if b.store, err = store.Open(o.StorePath); err != nil {
		return nil, err
	}
	if b.async, err = gw.EnableAsync(b.store); err != nil {
		return nil, err
	}
	if b.Gateway, err = server.Start("127.0.0.1:0", gw.Handler()); err != nil {
		return nil, err
	}
	b.servers = append(b.servers, b.Gateway)
	b.Initiator = &owner.Initiator{SystemID: InitiatorID, Password: "load-secret", Gateway: b.Gateway.URL(), Identity: initCert}
	b.Participant = owner.NewParticipant(InitiatorID, "load-secret", b.Gateway.URL())
	b.Participant.Identity = initCert
	return b, nil
}

// Close stops every server and closes the journal the Bed opened.
func (b *Bed) Close(ctx context.Context) {
	for i := len(b.servers) - 1; i >= 0; i-- {
		_ = b.servers[i].Close(ctx)
	}
	if b.async != nil {
		b.async.Close()
	}
	if b.store != nil {
		_ = b.store.Close()
	}
	if b.tempDir != "" {
		_ = os.RemoveAll(b.tempDir)
	}
	if b.ownJournal && b.Journal != nil {
		_ = b.Journal.Close()
	}
}
