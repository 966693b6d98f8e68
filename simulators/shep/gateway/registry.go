package gateway

import (
	"crypto/subtle"
	"crypto/x509"
	"maps"
	"slices"
	"sync"
)

// System is an informatization object registered with the gateway: it authenticates by its
// identifier (senderId) and the password issued by the operator (R-53(2)).
type System struct {
	ID       string
	Password string
	// Identifier is the BIN of the organisation (or IIN of a person) that the system's EDS
	// registration certificate names: the signer of its messages must carry it.
	Identifier string
	// Peer marks another gateway (ЭҮШ seen from ЭҮСШ, or back): it relays other systems' messages
	// and is authenticated by its transport signature alone (A6-S1).
	Peer bool
	// Certificates are the certificates registered for the system (its EDS registration certificate,
	// forms row 17): a transport signature may name one of them by ds:X509IssuerSerial alone.
	Certificates []*x509.Certificate
}

// peerWith finds the peer gateway whose certificate carries bin (or iin).
func (r *Registry) peerWith(bin, iin string) (System, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, s := range r.systems {
		if s.Peer && s.Identifier != "" && (s.Identifier == bin || s.Identifier == iin) {
			return s, true
		}
	}
	return System{}, false
}

// signerCertificates are the certificates a transport signature of a message from senderID may name
// by X509IssuerSerial: the sender's own, and those of the peer gateways, which relay other systems'
// messages under their own signature (A6-S1). Naming a certificate proves nothing by itself: the
// signer is still checked against the registered BIN and the NCA.
func (r *Registry) signerCertificates(senderID string) []*x509.Certificate {
	r.mu.RLock()
	defer r.mu.RUnlock()
	known := append([]*x509.Certificate(nil), r.systems[senderID].Certificates...)
	for id, s := range r.systems {
		if s.Peer && id != senderID {
			known = append(known, s.Certificates...)
		}
	}
	return known
}

// peerCertificates are the certificates registered for the peer gateways.
func (r *Registry) peerCertificates() []*x509.Certificate {
	r.mu.RLock()
	defer r.mu.RUnlock()
	var known []*x509.Certificate
	for _, s := range r.systems {
		if s.Peer {
			known = append(known, s.Certificates...)
		}
	}
	return known
}

// Service is an entry of the service registry: which owner serves it, where, and which
// initiators have been granted access to it.
type Service struct {
	ID       string
	Owner    string            // system ID of the owner
	Endpoint string            // the owner's synchronous endpoint
	Routes   map[string]string // routeId -> endpoint, for additional routing (A1-T19 row 7)
	Granted  map[string]bool   // initiator system IDs with access
}

// Registry is the gateway's registry of systems and services. It is safe for concurrent use: the
// portal grants access during a run while handlers read services. What goes in and
// what comes out are copies, so no map or slice is shared between the registry and its callers.
type Registry struct {
	mu       sync.RWMutex
	systems  map[string]System
	services map[string]Service
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{systems: map[string]System{}, services: map[string]Service{}}
}

// AddSystem registers (or replaces) a system.
func (r *Registry) AddSystem(s System) {
	s = s.clone()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.systems[s.ID] = s
}

// AddService publishes (or replaces) a service.
func (r *Registry) AddService(s Service) {
	s = s.clone()
	r.mu.Lock()
	defer r.mu.Unlock()
	r.services[s.ID] = s
}

// Grant gives an initiator access to a service; it reports false when the service is unknown. The
// service's grants are replaced, not changed in place: a copy handed out before stays as it was.
func (r *Registry) Grant(serviceID, systemID string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s, ok := r.services[serviceID]
	if ok {
		s = s.clone()
		s.Granted[systemID] = true
		r.services[serviceID] = s
	}
	return ok
}

// System returns a copy of a registered system.
func (r *Registry) System(id string) (System, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.systems[id]
	return s.clone(), ok
}

// Service returns a copy of a published service.
func (r *Registry) Service(id string) (Service, bool) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	s, ok := r.services[id]
	if !ok {
		return Service{}, false
	}
	return s.clone(), true
}

func (s System) clone() System {
	s.Certificates = slices.Clone(s.Certificates)
	return s
}

func (s Service) clone() Service {
	s.Routes = maps.Clone(s.Routes)
	s.Granted = maps.Clone(s.Granted)
	if s.Granted == nil {
		s.Granted = map[string]bool{}
	}
	return s
}

// passwordMatches compares in constant time, so the answer's timing does not leak the password.
func passwordMatches(want, got string) bool {
	return subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}
