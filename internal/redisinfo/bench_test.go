package redisinfo

// Benchmarks of the parsers on INFO replies captured from real nodes, run
// by `make bench` (not by `make test`). Every scrape parses one INFO per
// node and walks its commandstats, errorstats and keyspace sections, so
// these are the exporter's per-node CPU floor.

import (
	"strings"
	"testing"
)

var infoFixtures = []string{"redis7-primary.info", "redis7-replica.info", "elasticache-primary.info"}

func BenchmarkParse(b *testing.B) {
	for _, name := range infoFixtures {
		text := readFixture(b, name)
		b.Run(strings.TrimSuffix(name, ".info"), func(b *testing.B) {
			b.SetBytes(int64(len(text)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Parse(text); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// sectionSink keeps FieldsInSection's result alive, so its map is built on
// the heap as in the collector rather than optimised away.
var sectionSink map[string]string

// BenchmarkFieldsInSection is the per-scrape walk of the variable
// families: the collector asks for commandstats, errorstats and keyspace.
func BenchmarkFieldsInSection(b *testing.B) {
	info, err := Parse(readFixture(b, "redis7-primary.info"))
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, s := range []string{"commandstats", "errorstats", "keyspace"} {
			sectionSink = info.FieldsInSection(s)
			if len(sectionSink) == 0 {
				b.Fatalf("section %s is empty in the fixture", s)
			}
		}
	}
}

// BenchmarkParseFields is the per-field parsers a scrape runs for every
// cmdstat_*, errorstat_* and dbN line.
func BenchmarkParseFields(b *testing.B) {
	b.Run("commandstat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseCommandStat("calls=1043,usec=5120,usec_per_call=4.91,rejected_calls=0,failed_calls=2"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("keyspace", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseKeyspace("keys=5000,expires=1667,avg_ttl=5399121"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("errorstat", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ParseErrorStat("count=3"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
