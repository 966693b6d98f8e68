package ring

import (
	"slices"
	"testing"
)

func TestLogKeepsTheNewest(t *testing.T) {
	l := Log[int]{Cap: 3}
	for i := 1; i <= 5; i++ {
		l.Add(i)
	}
	if got := l.All(nil); !slices.Equal(got, []int{3, 4, 5}) {
		t.Fatalf("log %v, want the newest three oldest first", got)
	}
	unbounded := Log[int]{}
	for i := range 5 {
		unbounded.Add(i)
	}
	if got := unbounded.All(func(v int) int { return v * 10 }); !slices.Equal(got, []int{0, 10, 20, 30, 40}) {
		t.Fatalf("unbounded log through clone %v", got)
	}
}
