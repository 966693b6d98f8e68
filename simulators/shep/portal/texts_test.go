package portal

import "testing"

// Every actor and action of the procedures has its message, whose English is the word itself: an
// explanation reads the same in English as before and is translated in the other languages.
func TestActorsAndActionsHaveMessages(t *testing.T) {
	for _, m := range []*Machine{PublicationByInitiator, PublicationByOwner, Connection} {
		for _, tr := range m.Transitions {
			if tx, ok := actionTexts[tr.Action]; !ok || tx.String() != string(tr.Action) {
				t.Errorf("%s: action %q has no message of the same English", m.Name, tr.Action)
			}
			if tx, ok := actorTexts[tr.By]; !ok || tx.String() != string(tr.By) {
				t.Errorf("%s: actor %q has no message of the same English", m.Name, tr.By)
			}
		}
		for _, w := range m.Waits {
			if _, ok := actorTexts[w.Actor]; !ok {
				t.Errorf("%s: actor %q has no message", m.Name, w.Actor)
			}
		}
	}
	for _, a := range []Action{AskRecommendation, SendPublication} {
		if tx, ok := actionTexts[a]; !ok || tx.String() != string(a) {
			t.Errorf("action %q has no message of the same English", a)
		}
	}
	for _, a := range []Actor{Integrator, Authority} {
		if tx, ok := actorTexts[a]; !ok || tx.String() != string(a) {
			t.Errorf("actor %q has no message of the same English", a)
		}
	}
	if got := Action("dances").Text().String(); got != "dances" {
		t.Errorf("an unknown action reads %q", got)
	}
}
