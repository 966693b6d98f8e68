package owner

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// Initiator is the reference initiator system: it calls owners' services through the gateway.
type Initiator struct {
	SystemID string
	Password string
	Gateway  string // the gateway's base URL; requests go to Gateway + envelope.SyncPath
	HTTP     *http.Client
	Identity *pki.Identity // signs every request; nil sends unsigned
}

// Sign puts the initiator's transport signature on an envelope; without an Identity it returns the
// envelope unchanged.
func (i *Initiator) Sign(envelopeBytes []byte) ([]byte, error) {
	if i.Identity == nil {
		return envelopeBytes, nil
	}
	return xsig.Sign(envelopeBytes, i.Identity)
}

// Request builds a synchronous request for serviceID carrying data, with a fresh message id.
func (i *Initiator) Request(serviceID string, data envelope.Data) envelope.SendMessage {
	var m envelope.SendMessage
	m.Request.RequestInfo = envelope.SyncMessageInfo{
		MessageID:   uuid.NewString(),
		ServiceID:   serviceID,
		MessageDate: envelope.Now(),
		Sender:      envelope.SenderInfo{SenderID: i.SystemID, Password: i.Password},
	}
	m.Request.RequestData = data
	return m
}

// Exchange is one request sent and what came back.
type Exchange struct {
	Request  []byte
	Response []byte
	Status   int
	Elapsed  time.Duration
	Err      error // transport failure: no HTTP answer at all
}

// Send posts an envelope to the gateway's synchronous endpoint and reads the answer.
func (i *Initiator) Send(ctx context.Context, envelopeBytes []byte) Exchange {
	x := Exchange{Request: envelopeBytes}
	x.Response, x.Status, x.Elapsed, x.Err = postSOAP(ctx, i.HTTP, strings.TrimSuffix(i.Gateway, "/")+envelope.SyncPath, envelopeBytes)
	return x
}

// Answer reads the gateway's answer: a SendMessageResponse or a fault.
func (x Exchange) Answer() (*envelope.SendMessageResponse, *envelope.Fault, error) {
	if x.Err != nil {
		return nil, nil, x.Err
	}
	m, err := envelope.Parse(x.Response)
	if err != nil {
		return nil, nil, msg.Errorf("gateway answer (HTTP %d): %w", x.Status, err)
	}
	if m.IsFault() {
		f, err := m.Fault()
		return nil, &f, err
	}
	var r envelope.SendMessageResponse
	if err := m.Decode(&r); err != nil {
		return nil, nil, err
	}
	return &r, nil, nil
}
