package gateway

import (
	"sync"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// explainedFaults is how many of its latest faults a gateway can explain again.
const explainedFaults = 512

// explained keeps the breaches behind the latest faults of the gateways of this process by the
// English text their errorData carried, so that a report read in Kazakh or Russian explains a
// fault in its reader's language while the wire and the journal keep the English. Bounded: the
// oldest is forgotten first.
var explained explanations

// explanations is a bounded store of messages (a breach's, a journal entry's) by their English text.
type explanations struct {
	mu     sync.Mutex
	byText map[string]msg.Text
	order  []string
}

func (e *explanations) remember(b *rule.Breach) { e.say(b.Text()) }

// say keeps t, a text a gateway sent or journaled, to explain its English again.
func (e *explanations) say(t msg.Text) {
	text := t.String()
	if text == "" {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.byText == nil {
		e.byText = map[string]msg.Text{}
	}
	if _, ok := e.byText[text]; ok {
		return
	}
	if len(e.order) == explainedFaults {
		delete(e.byText, e.order[0])
		e.order = e.order[1:]
	}
	e.byText[text] = t
	e.order = append(e.order, text)
}

// said is t in English, kept to be explained again: a journal entry's detail or a fault's text.
func said(t msg.Text) string {
	explained.say(t)
	return t.String()
}

// Explain is the text of a fault's errorData (or a journal entry's detail) a gateway of this
// process sent, as a message in every language; a text none sent, or one no longer remembered, is
// quoted as the record's own words.
func Explain(errorData string) msg.Text {
	explained.mu.Lock()
	t, ok := explained.byText[errorData]
	explained.mu.Unlock()
	if !ok {
		if errorData == "" {
			return msg.Raw("")
		}
		return msg.Quoted(errorData)
	}
	return t
}
