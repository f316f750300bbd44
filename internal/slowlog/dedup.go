package slowlog

import "time"

// dedup recognises a slow command seen through both SLOWLOG GET and
// CloudWatch Logs so it is counted once, whichever source comes first.
//
// Both sources agree on the node, the entry id and the whole-second
// timestamp; the second keeps ids apart across a restart of the node (ids
// start over). The TEXT form of the delivered log has no id, so such lines
// match on node, second, duration in microseconds and command instead.
// An entry from one source consumes one matching entry of the other, so
// identical-looking commands in the same second still count one each.
type dedup struct {
	limit int
	recs  map[dedupKey][]dedupRec
	// order remembers insertion for eviction; keys whose records were
	// consumed meanwhile are skipped lazily.
	order []dedupKey
}

type dedupKey struct {
	node string
	sec  int64
}

type dedupRec struct {
	id    int64 // -1 unknown
	durUs int64
	cmd   string
	src   Source
}

func newDedup(limit int) *dedup {
	return &dedup{limit: limit, recs: make(map[dedupKey][]dedupRec)}
}

// seen reports whether e was already counted from the other source, and
// otherwise remembers it.
func (d *dedup) seen(e SlowEntry) bool {
	k := dedupKey{node: e.Node, sec: e.Time.Unix()}
	r := dedupRec{id: e.ID, durUs: int64(e.Duration / time.Microsecond), cmd: e.Cmd, src: e.Source}
	list := d.recs[k]
	for i, o := range list {
		if o.src == r.src {
			continue
		}
		match := o.id == r.id
		if o.id < 0 || r.id < 0 {
			match = o.durUs == r.durUs && o.cmd == r.cmd
		}
		if match {
			list = append(list[:i:i], list[i+1:]...)
			if len(list) == 0 {
				delete(d.recs, k)
			} else {
				d.recs[k] = list
			}
			return true
		}
	}
	d.recs[k] = append(list, r)
	d.order = append(d.order, k)
	for len(d.order) > d.limit {
		old := d.order[0]
		d.order = d.order[1:]
		if l := d.recs[old]; len(l) > 1 {
			d.recs[old] = l[1:]
		} else {
			delete(d.recs, old)
		}
	}
	return false
}
