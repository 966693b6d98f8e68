package esia

import (
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/internal/msg"
)

// params are a request's parameters under the clause ruleID.
type params struct {
	v      url.Values
	ruleID string
}

// duplicated refuses a parameter sent more than once (ESIA-007003: «включает параметр несколько раз»).
func (p params) duplicated() *refusal {
	names := make([]string, 0, len(p.v))
	for k := range p.v {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if n := len(p.v[k]); n > 1 {
			r := refuse(ESIA007003, p.ruleID, k, msg.F("the parameter once"), msg.F("%d times", n), msg.F("send each parameter once"))
			r.detail = fmt.Sprintf("%s sent %d times", k, n)
			return r
		}
	}
	return nil
}

// missing refuses the first of names that is absent or empty: ESIA-007013 for scope, ESIA-007014
// for the others.
func (p params) missing(names ...string) *refusal {
	for _, k := range names {
		if strings.TrimSpace(p.v.Get(k)) != "" {
			continue
		}
		code := ESIA007014
		if k == "scope" {
			code = ESIA007013
		}
		r := refuse(code, p.ruleID, k, msg.F("the mandatory parameter %s", k), msg.F("absent or empty"), msg.F("send %s", k))
		r.detail = k + " is absent or empty"
		return r
	}
	return nil
}

// state checks the request's state is a UUID (ESIA-OAUTH: a 128-bit request identifier
// generated as a UUID, against interception; go-api-epgu sends utils.GUID()).
func (p params) state() *refusal {
	s := p.v.Get("state")
	if _, err := uuid.Parse(s); err != nil || len(s) != 36 {
		return refuse(ESIA007003, p.ruleID, "state", msg.F("a UUID, e.g. 48d1a8dc-0b7d-418a-b4ef-2c7797f77dc9"), msg.Raw(fmt.Sprintf("%q", s)),
			msg.F("generate a fresh UUID for every request"))
	}
	return nil
}

// timestamp checks the request's timestamp is in ESIA's layout and within skew of now.
func (p params) timestamp(now time.Time, skew time.Duration) *refusal {
	ts := p.v.Get("timestamp")
	t, err := time.Parse(TimestampLayout, ts)
	if err != nil {
		return refuse(ESIA007003, p.ruleID, "timestamp", msg.F("the time as %s, e.g. %s", TimestampLayout, Timestamp(now.UTC())),
			msg.Raw(fmt.Sprintf("%q", ts)), msg.F("write the request time in ESIA's layout with its offset"))
	}
	if d := t.Sub(now); d > skew || d < -skew {
		return refuse(ESIA007015, p.ruleID, "timestamp",
			msg.F("within %v of ESIA's time %s", skew, Timestamp(now.UTC())),
			msg.F("%s (%v off)", ts, d.Round(time.Second)),
			msg.F("sign a fresh timestamp for each request and keep the system clock synchronised (NTP)"))
	}
	return nil
}

// redirectAllowed checks redirect_uri is one registered for sys, exactly (ESIA-007023).
func redirectAllowed(sys *System, redirect, ruleID string) *refusal {
	if slices.Contains(sys.RedirectURIs, redirect) {
		return nil
	}
	return refuse(ESIA007023, ruleID, "redirect_uri",
		msg.F("one of the redirect_uri registered for %s: %s", sys.Mnemonic, strings.Join(sys.RedirectURIs, ", ")),
		msg.Raw(redirect), msg.F("send a registered redirect_uri exactly, or register this one on the technological portal"))
}

// checkScopes checks every scope is one the system may ask for (ESIA-007006) and that an
// organisation scope names the user's own organisation (ESIA-007194).
func checkScopes(sys *System, scopes []string, ruleID string) *refusal {
	for _, s := range scopes {
		name, query, _ := strings.Cut(s, "?")
		if !slices.Contains(sys.Scopes, name) {
			return refuse(ESIA007006, ruleID, "scope", msg.F("scopes granted to %s: %s", sys.Mnemonic, strings.Join(sys.Scopes, " ")),
				msg.Raw(s), msg.F("ask only for scopes the system's application to ESIA was granted"))
		}
		if query == "" {
			continue
		}
		q, err := url.ParseQuery(query)
		if err != nil {
			return refuse(ESIA007006, ruleID, "scope", msg.F("a scope of the form name?org_oid=<oid>"), msg.Raw(s), msg.F("write the scope's parameters as a query"))
		}
		if oid := q.Get("org_oid"); oid != "" && oid != sys.OrgOID {
			return refuse(ESIA007194, ruleID, "scope",
				msg.F("org_oid of the user's organisation %s", sys.OrgOID), msg.Raw("org_oid="+oid),
				msg.F("ask the organisation scope for the organisation the user works for"))
		}
	}
	return nil
}
