package provision

import (
	"net/url"
	"strings"
	"testing"
	"unicode/utf8"
)

// Apply sends the AUTH token, the RBAC passwords and the Valkey default
// user's digest to AWS. An error that repeats the request (an API or a
// proxy that echoes what it refuses) must not carry any of them, in any
// encoding, into the error Apply returns.
func TestApplyErrorsHoldNoSecret(t *testing.T) {
	for _, tc := range []struct {
		name, env, file, engine, action, userSuffix string
	}{
		{"valkey default user digest", "echo1", "valid-rbac.yml", EngineValkey, "CreateUser", "-default"},
		{"ksqldb password", "echo2", "valid-rbac.yml", EngineRedis, "CreateUser", "-ksqldb"},
		{"exporter passwords", "echo3", "valid-rbac.yml", EngineRedis, "CreateUser", "-exporter"},
		{"auth token", "echo4", "valid-cluster-disabled.yml", EngineRedis, "CreateReplicationGroup", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, _, rbac := emulatorRBAC(t)
			setPasswords(t)
			spec := loadSpec(t, tc.file, tc.env)
			if tc.engine == EngineValkey {
				spec.Engine, spec.EngineVersion = EngineValkey, "8.0"
			}
			rbac.mu.Lock()
			rbac.echo = tc.action
			if tc.userSuffix != "" {
				rbac.echoID = spec.Name() + tc.userSuffix
			}
			rbac.mu.Unlock()
			_, err := p.Apply(testCtx(t), spec)
			if err == nil {
				t.Fatal("apply succeeded although the API refused the call")
			}
			msg := err.Error()
			if !strings.Contains(msg, "InvalidParameterValue") || !strings.Contains(msg, "the request was") {
				t.Errorf("the error lost what AWS said: %s", msg)
			}
			secrets := []string{longToken, ksqldbPassword, exporterPassword, exporterPasswordNext}
			if spec.CreateUserGroup {
				secrets = append(secrets, spec.defaultUserPassword().Reveal())
			}
			for _, s := range secrets {
				if strings.Contains(msg, s) || strings.Contains(msg, url.QueryEscape(s)) {
					t.Errorf("the error holds a secret (%d characters): %s", len(s), msg)
				}
			}
		})
	}
}

// A secret written where the spec wants {file: PATH} or {env: VARIABLE},
// in whatever shape, is refused with an error that names the field and
// never repeats the secret.
func TestParseSpecNeverEchoesASecret(t *testing.T) {
	const secret = "inline-secret-value-0123456789"
	for _, tc := range []struct{ field, doc string }{
		{"auth_token", "auth_token: " + secret},
		{"auth_token", "auth_token: {" + secret + "}"},
		{"auth_token", "auth_token:\n  " + secret + ": true"},
		{"auth_token", "auth_token: {env: EXPORTER_TOKEN, " + secret + ": 1}"},
		{"auth_token", "auth_token: [" + secret + "]"},
		{"ksqldb_user_passwords", "ksqldb_user_passwords: [" + secret + "]"},
		{"ksqldb_user_passwords", "ksqldb_user_passwords: [{" + secret + "}]"},
		{"ksqldb_user_passwords", "ksqldb_user_passwords: [[" + secret + "]]"},
		{"exporter_user_passwords", "exporter_user_passwords: {" + secret + "}"},
		{"exporter_user_passwords", "exporter_user_passwords:\n  - {env: X}\n  - {" + secret + ": null}"},
	} {
		_, err := ParseSpec([]byte("project_name: p\nenvironment: e\n" + tc.doc + "\n"))
		switch {
		case err == nil:
			t.Errorf("%q: accepted", tc.doc)
		case strings.Contains(err.Error(), secret):
			t.Errorf("%q: the error repeats the secret: %v", tc.doc, err)
		case !strings.HasPrefix(strings.Replace(err.Error(), "[", ":[", 1), tc.field+":") || !strings.Contains(err.Error(), "{file: PATH} or {env: VARIABLE}"):
			t.Errorf("%q: the error does not name %s and the fix: %v", tc.doc, tc.field, err)
		}
	}
}

// What AWS returns is hostile: a value read back (here an access string
// holding a newline and a fake plan line, invalid UTF-8 and a terminal
// escape) is printed in the plan on its own line, valid and bounded.
func TestPlanShowsHostileValuesSafely(t *testing.T) {
	p, _, rbac := emulatorRBAC(t)
	setPasswords(t)
	spec := loadSpec(t, "valid-rbac.yml", "hostile")
	ctx := testCtx(t)
	if _, err := p.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rbac.mu.Lock()
	u := rbac.users[spec.Name()+"-ksqldb"]
	u.access = "on ~* +@all\n  = no-change user forged\xff" + strings.Repeat("x", 5000)
	rbac.users[u.id] = u
	rbac.mu.Unlock()
	plan, err := p.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	s := plan.String()
	if strings.Contains(s, "\n  = no-change user forged") || !utf8.ValidString(s) {
		t.Errorf("the plan prints AWS's text raw:\n%.400s", s)
	}
	for _, line := range strings.Split(s, "\n") {
		if len(line) > 600 {
			t.Errorf("a plan line of %d bytes", len(line))
		}
	}
}

// The drift error repeats values read from AWS on one line, bounded.
func TestDriftErrorShowsHostileValuesSafely(t *testing.T) {
	err := &DriftError{ReplicationGroupID: "kafka-platform-prod", Fields: []FieldChange{
		{Field: "engine version", Have: "7.1\nreplication group fine\x1b[2J\xff" + strings.Repeat("9", 5000), Want: "7.1"},
	}}
	msg := err.Error()
	if strings.ContainsAny(msg, "\n\x1b") || !utf8.ValidString(msg) || len(msg) > 1200 {
		t.Errorf("drift error of %d bytes prints AWS's text raw: %.300q", len(msg), msg)
	}
}
