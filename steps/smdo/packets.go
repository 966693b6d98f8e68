package smdo

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/simulators/smdo/router"
)

// packet is what the judgements read of a package's body (the SDIP-2.1.1 envelope in JSON).
type packet struct {
	Envelop struct {
		MsgID  string `json:"msg_id"`
		Header struct {
			MsgType   int `json:"msg_type"`
			MsgAcknow int `json:"msg_acknow"`
		} `json:"header"`
		Body struct {
			Document *struct {
				IDNumber    string     `json:"idnumber"`
				Kind        string     `json:"kind"`
				DocTransfer []transfer `json:"docTransfer"`
				DocParent   *struct {
					IDNumber  string `json:"idnumber"`
					LastMsgID string `json:"lastmsg_id"`
					ParMsgID  string `json:"parmsg_id"`
				} `json:"docParent"`
			} `json:"document"`
			AddDocuments *struct {
				Folder []struct {
					AddType  int `json:"add_type"`
					Referred struct {
						IDNumber string `json:"idnumber"`
					} `json:"referred"`
					DocTransfer []transfer `json:"docTransfer"`
				} `json:"folder"`
			} `json:"addDocuments"`
			Acknowledgement *acknowledgement `json:"acknowledgement"`
		} `json:"body"`
	} `json:"envelop"`
	Message string `json:"message"` // a router notice's text
}

// transfer is a file of a document or of additional materials.
type transfer struct {
	Name string `json:"name"`
	Type string `json:"type"`
}

type acknowledgement struct {
	MsgID     string `json:"msg_id"`
	AckType   int    `json:"ack_type"`
	AckResult []struct {
		Value     string `json:"value"`
		ErrorCode int    `json:"errorcode"`
	} `json:"ackResult"`
}

func parse(p router.Package) packet {
	var pk packet
	_ = json.Unmarshal(p.Body, &pk) // the router took the body as JSON: what does not parse stays empty
	return pk
}

// requests are the router's log of the scenario: every call came from the system under test,
// since the counterpart acts inside the router.
func (w *World) requests() []router.Request {
	reqs := w.contour.Router.Requests()
	w.evidence.AttachJSON("router requests.json", reqs)
	return reqs
}

// packages are the router's packages of the scenario, oldest first.
func (w *World) packages() []router.Package {
	pkgs := w.contour.Router.Packages()
	sort.SliceStable(pkgs, func(i, j int) bool { return created(pkgs[i]).Before(created(pkgs[j])) })
	w.evidence.AttachJSON("router packages.json", pkgs)
	return pkgs
}

func created(p router.Package) time.Time {
	if len(p.History) == 0 {
		return time.Time{}
	}
	return p.History[0].At
}

// documents are the system's own documents and additional materials (not its notices).
func (w *World) documents() []router.Package {
	var out []router.Package
	for _, p := range w.packages() {
		if p.From == w.sut.ID && !p.Router && p.MsgType != 0 {
			out = append(out, p)
		}
	}
	return out
}

// settledState says the router routed a package and no fault was found in it.
func settledState(p router.Package) bool {
	return p.State == router.StateRouted || p.State == router.StateDelivered
}

// eventually waits up to within for cond, which reads the router's state: a system may report
// what it learnt from a notice before its receiving thread confirms the notice.
func eventually(within time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
	return true
}

// delivery is what the router saw of p's way to the subscriber id.
func delivery(p router.Package, id string) (router.Delivery, bool) {
	for _, d := range p.Deliveries {
		if d.To == id {
			return d, true
		}
	}
	return router.Delivery{}, false
}

// sentPackage says the system's send of p was accepted (204).
func sentPackage(reqs []router.Request, id string) (time.Time, bool) {
	for _, r := range reqs {
		if r.Op == "send" && r.PackageID == id && r.Status == 204 {
			return r.At, true
		}
	}
	return time.Time{}, false
}

// reported says what the system reported of its last request, for a failure's "observed".
func (w *World) reported() msg.Text {
	f := w.last()
	switch {
	case f.err != nil:
		return msg.F("; the system could not be made to act: %s", msg.Of(f.err))
	case f.result.Error != "":
		return msg.F("; the system reported %s: %s", f.result.Outcome, f.result.Error)
	}
	return msg.F("; the system reported %s", f.result.Outcome)
}

// list is a failure's items, one after another, or "none".
func list(items []msg.Text) msg.Text {
	if len(items) == 0 {
		return msg.F("none")
	}
	return msg.Join(items, "; ")
}

// bracketed is items as fmt prints a list of strings: "[a b]".
func bracketed(items []msg.Text) msg.Text { return msg.F("[%s]", msg.Join(items, " ")) }

// errorOf is the error a call was answered with: its breach, in the reader's language, when the log
// kept it whole.
func errorOf(r router.Request) msg.Text {
	if r.Breach != nil && r.Breach.Error() == r.Error {
		return r.Breach.Text()
	}
	return msg.Raw(r.Error)
}
