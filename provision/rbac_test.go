package provision

import (
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/kumogaps"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisacl"
)

const (
	ksqldbPassword       = "ksqldb-fake-password-0001"
	exporterPassword     = "exporter-fake-password-01"
	exporterPasswordNext = "exporter-fake-password-02"
)

func setPasswords(t *testing.T) {
	t.Setenv("KSQLDB_REDIS_PASSWORD", ksqldbPassword)
	t.Setenv("EXPORTER_REDIS_PASSWORD", exporterPassword)
	t.Setenv("EXPORTER_REDIS_PASSWORD_NEXT", exporterPasswordNext)
}

// create_user_group: apply creates the three users and the group before
// the replication group, the group replaces the AUTH token, a second apply
// changes nothing, and a changed ksqldb_access_string is set in place.
func TestApplyRBACUsers(t *testing.T) {
	for _, engine := range []string{EngineRedis, EngineValkey} {
		t.Run(engine, func(t *testing.T) {
			p, gaps, rbac := emulatorRBAC(t)
			setPasswords(t)
			spec := loadSpec(t, "valid-rbac.yml", "rbac-"+engine)
			if engine == EngineValkey {
				spec.Engine, spec.EngineVersion = EngineValkey, "8.0"
			}
			ctx := testCtx(t)
			res, err := p.Apply(ctx, spec)
			if err != nil {
				t.Fatalf("first apply: %v\n%s", err, strings.Join(res.Done, "\n"))
			}
			name := spec.Name()
			want := []string{
				fmt.Sprintf("create user %s-default (default)", name),
				fmt.Sprintf("create user %s-ksqldb (ksqldb)", name),
				fmt.Sprintf("create user %s-exporter (elasticache-exporter)", name),
				"create user group " + name,
				"create replication group " + name,
			}
			if i := slices.Index(res.Done, want[0]); i < 0 || !slices.Equal(res.Done[i:i+len(want)], want) {
				t.Errorf("done:\n%s\nwant in order:\n%s", strings.Join(res.Done, "\n"), strings.Join(want, "\n"))
			}
			def, _ := rbac.User(name + "-default")
			ksql, _ := rbac.User(name + "-ksqldb")
			exp, _ := rbac.User(name + "-exporter")
			if def.access != "off -@all" || ksql.access != "on ~* &* +@all" || exp.access != redisacl.AccessString() {
				t.Errorf("access strings %q / %q / %q", def.access, ksql.access, exp.access)
			}
			if !slices.Equal(ksql.passwords, []string{ksqldbPassword}) || !slices.Equal(exp.passwords, []string{exporterPassword, exporterPasswordNext}) {
				t.Errorf("passwords sent: ksqldb %d, exporter %d", len(ksql.passwords), len(exp.passwords))
			}
			for _, u := range []gapUser{def, ksql, exp} {
				if u.engine != engine {
					t.Errorf("user %s has engine %q, want %q", u.id, u.engine, engine)
				}
			}
			switch engine {
			case EngineRedis:
				if def.authType != "no-password-required" || len(def.passwords) != 0 {
					t.Errorf("Redis OSS default user: %s with %d passwords, want no-password-required", def.authType, len(def.passwords))
				}
			case EngineValkey:
				if def.authType != "password" || len(def.passwords) != 1 || !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(def.passwords[0]) ||
					def.passwords[0] != spec.defaultUserPassword().Reveal() {
					t.Errorf("Valkey default user: %s, want a password that is a 64-hex digest", def.authType)
				}
			}

			gaps.Actions()
			rbac.Actions()
			res2, err := p.Apply(ctx, spec)
			if err != nil || res2.Plan.HasChanges() {
				t.Fatalf("second apply: %v\n%s", err, res2.Plan)
			}
			if m := kumogaps.Mutating(append(gaps.Actions(), rbac.Actions()...)); len(m) > 0 {
				t.Errorf("second apply called %v", m)
			}

			spec.KsqldbAccessString = "on ~ksql-* &* +@all"
			plan, err := p.Plan(ctx, spec)
			if err != nil {
				t.Fatal(err)
			}
			if s := plan.String(); !strings.Contains(s, "~ update    user "+name+"-ksqldb\n      access string: on ~* &* +@all -> on ~ksql-* &* +@all\n") {
				t.Errorf("plan:\n%s", s)
			}
			for _, pw := range []string{ksqldbPassword, exporterPassword, exporterPasswordNext} {
				if strings.Contains(plan.String(), pw) {
					t.Error("the plan shows a password")
				}
			}
			if _, err := p.Apply(ctx, spec); err != nil {
				t.Fatal(err)
			}
			if a := kumogaps.Mutating(rbac.Actions()); !slices.Equal(a, []string{"ModifyUser"}) {
				t.Errorf("changing the access string called %v, want ModifyUser", a)
			}
			if u, _ := rbac.User(name + "-ksqldb"); u.access != "on ~ksql-* &* +@all" {
				t.Errorf("access string after apply: %q", u.access)
			}
		})
	}
}

// Users created for Redis OSS move to Valkey with ModifyUser (the default
// user with a password, as ElastiCache requires); the replication group
// itself is drift that apply reports and leaves alone.
func TestApplyRBACUsersMoveToValkey(t *testing.T) {
	p, _, rbac := emulatorRBAC(t)
	setPasswords(t)
	spec := loadSpec(t, "valid-rbac.yml", "rbac-move")
	ctx := testCtx(t)
	if _, err := p.Apply(ctx, spec); err != nil {
		t.Fatal(err)
	}
	rbac.Actions()
	spec.Engine, spec.EngineVersion = EngineValkey, "8.0"
	res, err := p.Apply(ctx, spec)
	var drift *DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("apply: %v, want the replication group's engine_version reported as drift", err)
	}
	if m := kumogaps.Mutating(rbac.Actions()); !slices.Equal(m, []string{"ModifyUser", "ModifyUser", "ModifyUser", "ModifyUserGroup"}) {
		t.Errorf("moving the users called %v\n%s", m, strings.Join(res.Done, "\n"))
	}
	for _, key := range []string{"default", "ksqldb", "exporter"} {
		if u, _ := rbac.User(spec.Name() + "-" + key); u.engine != "valkey" || u.authType != "password" {
			t.Errorf("user %s: engine %q, auth %q; want valkey with a password", key, u.engine, u.authType)
		}
	}
	plan, err := p.Plan(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range plan.Resources {
		if (r.Kind == KindUser || r.Kind == KindUserGroup) && r.Action != ActionNoChange {
			t.Errorf("after the move: %s %s is %s %v", r.Kind, r.Name, r.Action, r.Fields)
		}
	}
}

// The group replaces the token in the CreateReplicationGroup request.
func TestRBACRequest(t *testing.T) {
	setPasswords(t)
	s, err := LoadSpec(filepath.Join("testdata", "valid-rbac.yml"))
	if err != nil {
		t.Fatal(err)
	}
	in := createGroupInput(s, "sg-0123456789abcdef0")
	if !slices.Equal(in.UserGroupIds, []string{"kafka-platform-rbac"}) || in.AuthToken != nil {
		t.Errorf("UserGroupIds %v, AuthToken set %v", in.UserGroupIds, in.AuthToken != nil)
	}
	for _, u := range s.rbacUsers() {
		cu := createUserInput(s, u)
		if aws.ToString(cu.Engine) != "redis" || aws.ToString(cu.UserId) != "kafka-platform-rbac-"+u.key {
			t.Errorf("CreateUser %+v", cu)
		}
	}
}

// The RBAC variables are validated with the module's rules; no message
// holds a password, and an inline password is refused.
func TestValidateRBAC(t *testing.T) {
	setPasswords(t)
	t.Setenv("SHORT_PASSWORD", "short")
	base := "project_name: p\nenvironment: e\nvpc_id: vpc-1\nprivate_subnet_ids: [subnet-1, subnet-2]\neks_node_security_group_id: sg-1\n"
	users := "create_user_group: true\nksqldb_user_passwords: [{env: KSQLDB_REDIS_PASSWORD}]\nexporter_user_passwords: [{env: EXPORTER_REDIS_PASSWORD}]\n"
	for extra, want := range map[string]string{
		users + "transit_encryption_enabled: false\n":                 "create_user_group: needs transit_encryption_enabled: true and no auth_token",
		users + "auth_token: {env: KSQLDB_REDIS_PASSWORD}\n":          "create_user_group: needs transit_encryption_enabled: true and no auth_token",
		"create_user_group: true\n":                                   "ksqldb_user_passwords: holds 0 passwords",
		"exporter_user_passwords: [{env: EXPORTER_REDIS_PASSWORD}]\n": "exporter_user_passwords: is set while create_user_group is false",
		users + "ksqldb_user_name: default\n":                         `ksqldb_user_name: "default" is not a user name`,
		users + "exporter_user_name: ksqldb\n":                        `exporter_user_name: "ksqldb" is not a user name of its own`,
		users + "ksqldb_access_string: \"on ~* +@all nopass\"\n":      "ksqldb_access_string: must say on (or off) and hold no password rule",
		users + "ksqldb_access_string: \"~* +@all\"\n":                "ksqldb_access_string: must say on (or off)",
		"create_user_group: true\nksqldb_user_passwords: [{env: SHORT_PASSWORD}]\nexporter_user_passwords: [{env: EXPORTER_REDIS_PASSWORD}]\n": "ksqldb_user_passwords[0]: is 5 characters or holds a character AWS refuses",
		"auth_token_update_strategy: DELETE\n": "auth_token_update_strategy: DELETE removes the AUTH token while the group moves to RBAC users; leave auth_token out and set create_user_group: true",
	} {
		s, err := ParseSpec([]byte(base + extra))
		if err == nil {
			err = s.readPasswords()
		}
		if err == nil {
			err = s.Validate()
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want %q", extra, err, want)
			continue
		}
		for _, pw := range []string{ksqldbPassword, exporterPassword, "short"} {
			if strings.Contains(err.Error(), pw) {
				t.Errorf("%q: error shows a password: %v", extra, err)
			}
		}
	}
	s, err := ParseSpec([]byte(base + users + "auth_token_update_strategy: DELETE\n"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.readPasswords(); err != nil {
		t.Fatal(err)
	}
	if err := s.Validate(); err != nil {
		t.Errorf("users with DELETE: %v", err)
	}
	for _, inline := range []string{"ksqldb_user_passwords: [inline-password-0123456]\n", "exporter_user_passwords: [inline-password-0123456]\n"} {
		_, err := ParseSpec([]byte(base + inline))
		if err == nil || !strings.Contains(err.Error(), "give {file: PATH} or {env: VARIABLE}") || strings.Contains(err.Error(), "inline-password") {
			t.Errorf("%q: err = %v, want the inline password refused without showing it", inline, err)
		}
	}
}

// The Valkey default user's password is the module's digest: the same
// passwords give the value provision/terraform/tests/valkey.tftest.hcl
// asserts, so the two tools never fight over it.
func TestDefaultUserPasswordMatchesTheModule(t *testing.T) {
	s := defaultSpec()
	s.SetUserPasswords([]config.Secret{"ksqldb-password-0123456789"}, []config.Secret{"exporter-password-0123456789"})
	if got := s.defaultUserPassword().Reveal(); got != "b7da5b968fb25f34a7c584c4b9a28272956dfd1fc44beb9b359356c7063489b1" {
		t.Errorf("digest %s differs from the module's", got)
	}
}
