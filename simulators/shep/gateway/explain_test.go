package gateway

import (
	"strconv"
	"testing"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

func TestFaultsAreExplainedAgainBoundedly(t *testing.T) {
	b := &rule.Breach{Rule: "R-6", Expected: msg.F("a service in the service registry"), Observed: msg.Raw("X")}
	explained.remember(b)
	if got := Explain(b.Error()); got.In("ru") != b.Text().In("ru") || got.In("ru") == b.Error() {
		t.Fatalf("a fault sent is explained as %q, want the breach in Russian %q", got.In("ru"), b.Text().In("ru"))
	}
	if got := Explain("not ours"); got.In("ru") != "“not ours”" {
		t.Fatalf("a text the gateway did not send must be quoted as it is, got %q", got.In("ru"))
	}
	for i := range explainedFaults {
		explained.remember(&rule.Breach{Rule: "R-" + strconv.Itoa(i)})
	}
	if len(explained.byText) != explainedFaults || Explain(b.Error()).In("ru") != "“"+b.Error()+"”" {
		t.Fatalf("the store must forget the oldest beyond %d, holds %d", explainedFaults, len(explained.byText))
	}
}
