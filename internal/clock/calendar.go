package clock

import (
	"bufio"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/shepconf/shepconf/internal/msg"
)

// DayKind says what sort of day a calendar day is.
type DayKind string

const (
	Working    DayKind = "working"
	Weekend    DayKind = "weekend"
	Holiday    DayKind = "holiday" // a public holiday
	DayOff     DayKind = "off"     // a holiday carried over from a weekend, or a day off moved by decree
	MovedWork  DayKind = "work"    // a weekend day made a working day by decree
	dataSuffix         = ".txt"
)

// Day is one entry of the calendar data.
type Day struct {
	Date        time.Time // midnight, Astana time
	Kind        DayKind
	Description string
	ToConfirm   bool // best knowledge, to be confirmed against the decree or announcement
}

// ErrNotCovered is returned when a computation needs a year the calendar has no data for: counting
// working days across it with weekends alone would give wrong deadlines without saying so.
var ErrNotCovered = msg.Errorf("the working calendar has no data for this year")

// Calendar is the Kazakhstan working calendar over the years it has data for. The Rules count every
// procedure deadline in working days (жұмыс күні) without defining them (requirements §0); the
// harness uses this calendar and counts from the next working day after the notification.
type Calendar struct {
	years map[int]bool
	days  map[time.Time]Day
}

// LoadCalendar reads every YYYY.txt file of fsys (see fixtures/calendar/README.txt for the format).
func LoadCalendar(fsys fs.FS) (*Calendar, error) {
	c := &Calendar{years: map[int]bool{}, days: map[time.Time]Day{}}
	files, err := fs.Glob(fsys, "*"+dataSuffix)
	if err != nil {
		return nil, err
	}
	for _, name := range files {
		year, err := strconv.Atoi(strings.TrimSuffix(path.Base(name), dataSuffix))
		if err != nil {
			continue // README.txt and other notes
		}
		if err := c.loadYear(fsys, name, year); err != nil {
			return nil, err
		}
	}
	if len(c.years) == 0 {
		return nil, fmt.Errorf("working calendar: no YYYY%s file found", dataSuffix)
	}
	return c, nil
}

func (c *Calendar) loadYear(fsys fs.FS, name string, year int) error {
	f, err := fsys.Open(name)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		d, err := parseDay(line)
		if err != nil {
			return fmt.Errorf("working calendar %s line %d: %w", name, n, err)
		}
		if d.Date.Year() != year {
			return fmt.Errorf("working calendar %s line %d: %s is not in %d", name, n, d.Date.Format(time.DateOnly), year)
		}
		wd := d.Date.Weekday()
		weekend := wd == time.Saturday || wd == time.Sunday
		switch {
		case d.Kind == MovedWork && !weekend:
			return fmt.Errorf("working calendar %s line %d: %s is a %s; only a weekend day can be made a working day", name, n, d.Date.Format(time.DateOnly), wd)
		case d.Kind == DayOff && weekend:
			return fmt.Errorf("working calendar %s line %d: %s is a %s, already a day off", name, n, d.Date.Format(time.DateOnly), wd)
		}
		if _, dup := c.days[d.Date]; dup {
			return fmt.Errorf("working calendar %s line %d: %s listed twice", name, n, d.Date.Format(time.DateOnly))
		}
		c.days[d.Date] = d
	}
	if err := sc.Err(); err != nil {
		return err
	}
	c.years[year] = true
	return nil
}

func parseDay(line string) (Day, error) {
	fields := strings.Fields(line)
	if len(fields) < 3 {
		return Day{}, fmt.Errorf("want DATE KIND [tbc] DESCRIPTION, got %q", line)
	}
	date, err := time.ParseInLocation(time.DateOnly, fields[0], Astana)
	if err != nil {
		return Day{}, err
	}
	d := Day{Date: date, Kind: DayKind(fields[1])}
	switch d.Kind {
	case Holiday, DayOff, MovedWork:
	default:
		return Day{}, fmt.Errorf("kind %q: want holiday, off or work", fields[1])
	}
	rest := fields[2:]
	if rest[0] == "tbc" {
		d.ToConfirm, rest = true, rest[1:]
	}
	d.Description = strings.Join(rest, " ")
	return d, nil
}

// Years are the years the calendar has data for, in order.
func (c *Calendar) Years() []int {
	var ys []int
	for y := range c.years {
		ys = append(ys, y)
	}
	sort.Ints(ys)
	return ys
}

// ToConfirm lists the entries marked as best knowledge, for the report.
func (c *Calendar) ToConfirm() []Day {
	var out []Day
	for _, d := range c.days {
		if d.ToConfirm {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Date.Before(out[j].Date) })
	return out
}

// Date is the calendar day of t in Astana, as midnight.
func Date(t time.Time) time.Time {
	y, m, d := t.In(Astana).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, Astana)
}

// Kind says what sort of day t falls on.
func (c *Calendar) Kind(t time.Time) (DayKind, error) {
	day := Date(t)
	if !c.years[day.Year()] {
		return "", msg.Errorf("%w: %d (add fixtures/calendar/%d%s)", ErrNotCovered, day.Year(), day.Year(), dataSuffix)
	}
	if e, ok := c.days[day]; ok {
		return e.Kind, nil
	}
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return Weekend, nil
	}
	return Working, nil
}

// IsWorkingDay reports whether t falls on a working day.
func (c *Calendar) IsWorkingDay(t time.Time) (bool, error) {
	k, err := c.Kind(t)
	return k == Working || k == MovedWork, err
}

// WorkingDaysAfter is the n-th working day after the day of t, as midnight: the count starts on the
// next working day after the notification (requirements §0), so a 2-working-day limit notified on
// a Friday ends on Tuesday when Monday and Tuesday are working days. n = 0 gives the day of t.
func (c *Calendar) WorkingDaysAfter(t time.Time, n int) (time.Time, error) {
	day := Date(t)
	for n > 0 {
		day = day.AddDate(0, 0, 1)
		ok, err := c.IsWorkingDay(day)
		if err != nil {
			return time.Time{}, err
		}
		if ok {
			n--
		}
	}
	return day, nil
}

// Deadline is the instant a limit of n working days from t runs out: the end of the n-th working day
// after the day of t (Astana time).
func (c *Calendar) Deadline(t time.Time, n int) (time.Time, error) {
	day, err := c.WorkingDaysAfter(t, n)
	if err != nil {
		return time.Time{}, err
	}
	return day.AddDate(0, 0, 1), nil
}

// WorkingDaysBetween counts the working days after the day of from up to and including the day of
// to: an answer given on the day of the notification took 0 working days, one given on the next
// working day took 1. It is 0 when to is not after from.
func (c *Calendar) WorkingDaysBetween(from, to time.Time) (int, error) {
	n := 0
	end := Date(to)
	for day := Date(from).AddDate(0, 0, 1); !day.After(end); day = day.AddDate(0, 0, 1) {
		ok, err := c.IsWorkingDay(day)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// AddMonths adds calendar months, keeping the time of day. A day past the end of the target month
// is clamped to its last day (31 January + 1 month = 28 or 29 February), where time.AddDate would
// roll over into March and lengthen the period.
func AddMonths(t time.Time, n int) time.Time {
	t = t.In(Astana)
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), Astana)
	last := first.AddDate(0, 1, -1).Day()
	if d > last {
		d = last
	}
	return first.AddDate(0, 0, d-1)
}

// MonthsDeadline is the instant a limit of n calendar months from t runs out: the end of the day n
// months later (R-38: testing "within no more than 3 months").
func MonthsDeadline(t time.Time, n int) time.Time {
	return Date(AddMonths(t, n)).AddDate(0, 0, 1)
}
