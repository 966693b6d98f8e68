// Package testbed starts a complete, signing simulation in one call: the NCA with OCSP and CRL,
// the gateway with its journal, an owner serving one service and an initiator granted access to
// it. The owner is the reference owner, or an agency's owner system under test (Options.Owner),
// whose processing times the load then judges (A2-T1). The load command and the load scenarios run
// against it.
package testbed

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/shepconf/shepconf/assembly/load"
	"github.com/shepconf/shepconf/assembly/sut"
	"github.com/shepconf/shepconf/internal/journal"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/internal/store"
	"github.com/shepconf/shepconf/internal/xsig"
	"github.com/shepconf/shepconf/simulators/nca"
	"github.com/shepconf/shepconf/simulators/shep/gateway"
	"github.com/shepconf/shepconf/simulators/shep/owner"
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
	Journal *journal.Journal
	Gateway *server.Server
	// Owner is the reference owner; nil when the load service is routed to a system under test.
	Owner *owner.Owner
	// OwnerSystem names the system the gateway routes the load service to.
	OwnerSystem load.System
	// ServiceID is the service the load calls.
	ServiceID string
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

	// Authority is the run's NCA, already serving (its certificates name its OCSP responder); when
	// nil the bed makes and serves its own. An owner under test trusts only its run's NCA.
	Authority *nca.Authority
	// GatewayBIN is the BIN of the gateway's certificate: the one the owner under test was told
	// and checks on every request (A6-S1). Default 100000000000.
	GatewayBIN string
	// Owner routes the load service to this system under test (its SyncURL), registered under its
	// system ID and BIN, instead of the reference owner, which is then not started.
	Owner *sut.Target
	// ServiceID is the service the load calls; default ServiceID.
	ServiceID string
	// Key is the key algorithm of the certificates the bed issues: RSA-2048 (the zero value, as the
	// national CA issues) or ECDSA P-256.
	Key pki.KeyType
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
	ca := o.Authority
	if ca == nil {
		if ca, err = nca.New("shepconf NCA"); err != nil {
			return nil, err
		}
		caSrv, err := ca.Serve("127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		b.servers = append(b.servers, caSrv)
	}
	gwBIN := o.GatewayBIN
	if gwBIN == "" {
		gwBIN = gatewayBIN
	}
	if b.ServiceID = o.ServiceID; b.ServiceID == "" {
		b.ServiceID = ServiceID
	}
	issue := func(cn, bin string) (*pki.Identity, error) {
		return ca.Issue(nca.Subject{CommonName: cn, BIN: bin}, o.Key)
	}
	gwID, err := issue("SHEP gateway", gwBIN)
	if err != nil {
		return nil, err
	}
	initCert, err := issue(InitiatorID, initiatorBIN)
	if err != nil {
		return nil, err
	}
	checker := &xsig.Checker{Roots: ca.Roots(), Intermediates: ca.Intermediates()}

	reg := gateway.NewRegistry()
	reg.AddSystem(gateway.System{ID: InitiatorID, Password: "load-secret", Identifier: initiatorBIN})
	if o.Owner != nil {
		t := o.Owner
		if t.SyncURL == "" {
			return nil, msg.Errorf("testbed: the system under test %s has no synchronous endpoint to route the load to", t.SystemID)
		}
		reg.AddSystem(gateway.System{ID: t.SystemID, Password: t.Password, Identifier: t.BIN})
		b.OwnerSystem = load.System{ID: t.SystemID, BIN: t.BIN, Endpoint: t.SyncURL, Describe: t.Describe, Demonstration: t.Kind == sut.Reference}
	} else if err := b.startOwner(ca, o.Key, checker, gwBIN, reg); err != nil {
		return nil, err
	}
	reg.AddService(gateway.Service{ID: b.ServiceID, Owner: b.OwnerSystem.ID, Endpoint: b.OwnerSystem.Endpoint})
	reg.Grant(b.ServiceID, InitiatorID)
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

// SyncTarget is a load on the synchronous channel through the bed's gateway to its owner, whose
// processing times A2-T1 judges.
func (b *Bed) SyncTarget() load.Target {
	t := load.SyncTarget(b.Initiator, b.ServiceID, b.Journal)
	t.Owner = b.OwnerSystem
	return t
}

// AsyncTarget is a load on the asynchronous channel: the gateway alone, no owner on the path.
func (b *Bed) AsyncTarget() load.Target {
	return load.AsyncTarget(b.Participant, b.ServiceID, b.Journal)
}

// startOwner serves the reference owner on loopback and registers it.
func (b *Bed) startOwner(ca *nca.Authority, key pki.KeyType, checker *xsig.Checker, gwBIN string, reg *gateway.Registry) error {
	ownerCert, err := ca.Issue(nca.Subject{CommonName: OwnerID, BIN: ownerBIN}, key)
	if err != nil {
		return err
	}
	b.Owner = owner.New(OwnerID)
	b.Owner.Identity, b.Owner.Checker, b.Owner.GatewayID = ownerCert, checker, gwBIN
	ownerSrv, err := server.Start("127.0.0.1:0", b.Owner)
	if err != nil {
		return err
	}
	b.servers = append(b.servers, ownerSrv)
	reg.AddSystem(gateway.System{ID: OwnerID, Password: "owner-secret", Identifier: ownerBIN})
	b.OwnerSystem = load.System{ID: OwnerID, BIN: ownerBIN, Endpoint: ownerSrv.URL() + "/sync",
		Describe: msg.F("the harness's reference owner (a demonstration: certifies nothing)"), Demonstration: true}
	return nil
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
