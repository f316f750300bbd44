// Package redistest starts real redis-server processes on free loopback
// ports for tests: a standalone server, a primary with replicas, or a
// cluster-mode cluster, each optionally with a password and/or TLS. Every
// process is stopped when the test ends (t.Cleanup), also when it fails,
// and is killed by the kernel if the test binary dies (Pdeathsig), so no
// redis-server outlives the test binary.
//
// It is a normal package rather than a _test file because the tests of
// several packages share it; import it only from _test.go files.
//
// Nothing here fakes Redis: what a test observes is what redis-server 7.0
// does. Tests that need the binary call Require (the constructors do it for
// them), which fails, not skips, when redis-server is missing, so a CI
// machine without it cannot silently pass.
package redistest
