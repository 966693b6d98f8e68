package clock_test

import (
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/shepconf/shepconf/fixtures"
	"github.com/shepconf/shepconf/internal/clock"
)

func calendar(t testing.TB) *clock.Calendar {
	t.Helper()
	c, err := clock.LoadCalendar(fixtures.Calendar())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func day(s string) time.Time {
	d, err := time.ParseInLocation("2006-01-02 15:04", s, clock.Astana)
	if err != nil {
		d, err = time.ParseInLocation(time.DateOnly, s, clock.Astana)
	}
	if err != nil {
		panic(err)
	}
	return d
}

func TestCalendarCoversThreeYears(t *testing.T) {
	got := calendar(t).Years()
	if len(got) != 3 || got[0] != 2025 || got[2] != 2027 {
		t.Fatalf("years %v, want 2025-2027", got)
	}
}

func TestKind(t *testing.T) {
	c := calendar(t)
	for _, tc := range []struct {
		date string
		want clock.DayKind
	}{
		{"2025-01-02", clock.Holiday},
		{"2025-01-03", clock.DayOff},    // moved from Saturday 5 July by decree
		{"2025-07-05", clock.MovedWork}, // the Saturday worked for it
		{"2025-03-22", clock.Holiday},   // Nauryz on a Saturday
		{"2025-03-25", clock.DayOff},    // Nauryz carried over
		{"2025-03-26", clock.Working},
		{"2025-06-06", clock.Holiday}, // Kurban Ait
		{"2025-06-07", clock.Weekend},
		{"2026-05-27", clock.Holiday},
		{"2027-01-04", clock.DayOff},
	} {
		got, err := c.Kind(day(tc.date))
		if err != nil || got != tc.want {
			t.Errorf("%s: %s (%v), want %s", tc.date, got, err, tc.want)
		}
	}
}

func TestWorkingDaysAfter(t *testing.T) {
	c := calendar(t)
	for _, tc := range []struct {
		name, from string
		n          int
		want       string
	}{
		{"ordinary week", "2025-02-04 10:00", 2, "2025-02-06"},
		{"count starts the next working day, not the day itself", "2025-02-04 23:59", 1, "2025-02-05"},
		{"over a weekend", "2025-02-06 09:00", 2, "2025-02-10"},
		{"notified on a Sunday", "2025-02-09 12:00", 1, "2025-02-10"},
		{"New Year and the day moved by decree", "2025-01-01 15:00", 1, "2025-01-06"},
		{"over Nauryz and its carried-over days", "2025-03-20 15:00", 1, "2025-03-26"},
		{"onto the Saturday made a working day", "2025-07-03 09:00", 2, "2025-07-05"},
		{"over Kurban Ait", "2025-06-05 09:00", 1, "2025-06-09"},
		{"ten working days over Nauryz 2026", "2026-03-16 09:00", 10, "2026-04-02"},
		{"over the New Year into 2027", "2026-12-31 09:00", 1, "2027-01-05"},
		{"zero is the day itself", "2025-06-07 09:00", 0, "2025-06-07"},
	} {
		got, err := c.WorkingDaysAfter(day(tc.from), tc.n)
		if err != nil || !got.Equal(day(tc.want)) {
			t.Errorf("%s: %s + %d wd = %s (%v), want %s", tc.name, tc.from, tc.n, got.Format(time.DateOnly), err, tc.want)
		}
	}
}

func TestWorkingDaysBetween(t *testing.T) {
	c := calendar(t)
	for _, tc := range []struct {
		name, from, to string
		want           int
	}{
		{"same day", "2025-02-04 09:00", "2025-02-04 18:00", 0},
		{"next day", "2025-02-04 18:00", "2025-02-05 09:00", 1},
		{"Friday to Monday", "2025-02-07 10:00", "2025-02-10 10:00", 1},
		{"across Nauryz 2025", "2025-03-20 10:00", "2025-03-27 10:00", 2},
		{"the Saturday worked by decree counts", "2025-07-04 10:00", "2025-07-08 10:00", 2},
		{"the Friday off by decree does not", "2025-01-02 10:00", "2025-01-06 10:00", 1},
		{"backwards is zero", "2025-02-10 10:00", "2025-02-07 10:00", 0},
		{"three months of 2026", "2026-01-05 10:00", "2026-04-05 10:00", 59},
	} {
		got, err := c.WorkingDaysBetween(day(tc.from), day(tc.to))
		if err != nil || got != tc.want {
			t.Errorf("%s: %d (%v), want %d", tc.name, got, err, tc.want)
		}
	}
}

// A deadline and the count of elapsed days agree: acting on the due day keeps the limit.
func TestDeadlineAgreesWithElapsed(t *testing.T) {
	c := calendar(t)
	from := day("2025-03-19 16:00")
	due, err := c.Deadline(from, 3)
	if err != nil {
		t.Fatal(err)
	}
	if !due.Equal(day("2025-03-28")) {
		t.Fatalf("deadline %s, want end of 2025-03-27 (Nauryz 21-25 March is off)", due)
	}
	last := due.Add(-time.Minute)
	if n, _ := c.WorkingDaysBetween(from, last); n != 3 {
		t.Fatalf("on the due day %d working days elapsed, want 3", n)
	}
}

func TestAddMonths(t *testing.T) {
	for _, tc := range []struct{ from, want string }{
		{"2025-01-15 10:00", "2025-04-15 10:00"},
		{"2025-11-30 10:00", "2026-02-28 10:00"}, // clamped, not rolled into March
		{"2027-12-31 10:00", "2028-03-31 10:00"},
	} {
		if got := clock.AddMonths(day(tc.from), 3); !got.Equal(day(tc.want)) {
			t.Errorf("%s + 3 months = %s, want %s", tc.from, got, tc.want)
		}
	}
}

func TestNotCovered(t *testing.T) {
	c := calendar(t)
	if _, err := c.WorkingDaysAfter(day("2027-12-30 10:00"), 5); !errors.Is(err, clock.ErrNotCovered) {
		t.Fatalf("counting into 2028: %v, want ErrNotCovered", err)
	}
}

func TestBadData(t *testing.T) {
	for name, body := range map[string]string{
		"a weekday made a working day": "2025-07-04 work oops\n",
		"unknown kind":                 "2025-07-04 party oops\n",
		"wrong year":                   "2026-01-01 holiday New Year\n",
		"listed twice":                 "2025-01-01 holiday a\n2025-01-01 holiday b\n",
	} {
		_, err := clock.LoadCalendar(fstest.MapFS{"2025.txt": {Data: []byte(body)}})
		if err == nil {
			t.Errorf("%s: loaded without error", name)
		}
	}
}

func TestVirtualClock(t *testing.T) {
	v := clock.NewVirtual(day("2025-01-01 00:00"))
	v.Advance(90 * 24 * time.Hour)
	v.Advance(-time.Hour)
	if got := v.Now(); !got.Equal(day("2025-04-01 00:00")) {
		t.Fatalf("now %s", got)
	}
}
