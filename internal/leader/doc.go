// Package leader decides which exporter process does the work that must
// happen once per replication group (CloudWatch GetMetricData, the
// CloudWatch Logs tails, CloudWatch alarm management), so that an HA pair or
// a sharded set never doubles the CloudWatch bill.
//
// With Kubernetes, the process holding a coordination.k8s.io/v1 Lease is the
// leader. The election is client-go's leaderelection algorithm and record
// format (holderIdentity, leaseDurationSeconds, acquireTime, renewTime,
// leaseTransitions; optimistic updates by resourceVersion; expiry judged by
// the local time a record was last seen to change, never by comparing
// clocks), written against client-go's REST client with a scheme that knows
// only coordination.k8s.io/v1. Importing client-go's leaderelection package
// links every Kubernetes API group into the binary (its resourcelock
// package imports the whole clientset), which more than doubles the
// exporter's size for one object type; the tests run this elector and
// client-go's against the same Lease to keep the two interchangeable.
//
// Without Kubernetes, Noop makes every process the leader, as a single
// process always was.
//
// The guarantee is client-go's: a leader that cannot renew within the renew
// deadline stops leading before its lease expires, and no other process
// takes the lease before it has expired, so two leaders never overlap unless
// a process stalls for longer than lease duration minus renew deadline. A
// leader that stops cleanly releases the lease after its work has returned
// and the next holder takes it within a retry period; one that dies holds
// it until the lease duration has passed.
package leader
