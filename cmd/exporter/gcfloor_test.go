package main

import "testing"

func TestGCPercentFor(t *testing.T) {
	const mb = 1 << 20
	tests := []struct {
		name string
		live uint64
		want int
	}{
		{"empty heap: the cap", 0, maxGCPercent},
		{"tiny heap: the cap", 1 * mb, maxGCPercent},
		{"small group (5 MB live): 16 MB of headroom", 5 * mb, 320},
		{"rounded down to 10", 7 * mb, 220},
		{"40 MB live: 40% is the floor", 40 * mb, 40},
		{"1,500 nodes (200 MB live): GOGC 40 as before", 200 * mb, 40},
	}
	for _, tt := range tests {
		if got := gcPercentFor(tt.live, 40, 16*mb); got != tt.want {
			t.Errorf("%s: gcPercentFor(%d) = %d, want %d", tt.name, tt.live, got, tt.want)
		}
	}
}
