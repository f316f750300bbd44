package provision

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/elasticache"
	ectypes "github.com/aws/aws-sdk-go-v2/service/elasticache/types"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
	"github.com/elasticache-exporter/elasticache-exporter/internal/redisacl"
)

// RBAC (create_user_group), as the module's main.tf: a user group of three
// users replaces the AUTH token. "default" (ElastiCache requires a user of
// that name in a group) is switched off; ksqlDB's user has
// ksqldb_access_string; the exporter's user allows only the commands the
// exporter sends (internal/redisacl). Ids are <name>-default, -ksqldb,
// -exporter and the group is <name>.

// Resource kinds of the RBAC step, created before the replication group.
const (
	KindUser      = "user"
	KindUserGroup = "user group"
)

var (
	userNamePattern    = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,39}$`)
	accessOnOffRule    = regexp.MustCompile(`(^|\s)(on|off)(\s|$)`)
	accessPasswordRule = regexp.MustCompile(`(^|\s)([<>#]\S*|reset|resetpass|nopass)(\s|$)`)
)

// rbacUser is one user the spec asks for.
type rbacUser struct {
	key, id, name, access string
	passwords             []config.Secret // none: no-password-required
}

// UserGroupID is the RBAC user group's id (create_user_group).
func (s *Spec) UserGroupID() string { return s.Name() }

// rbacUsers are the group's users in the module's order; nil without
// create_user_group.
func (s *Spec) rbacUsers() []rbacUser {
	if !s.CreateUserGroup {
		return nil
	}
	def := rbacUser{key: "default", name: "default", access: "off -@all"}
	if s.Engine == EngineValkey {
		// ElastiCache refuses no-password-required for a Valkey user: the
		// disabled default user gets a digest of the other passwords, the
		// same value the module computes. It opens nothing: the user is off.
		def.passwords = []config.Secret{s.defaultUserPassword()}
	}
	users := []rbacUser{
		def,
		{key: "ksqldb", name: s.KsqldbUserName, access: s.KsqldbAccessString, passwords: s.ksqldbPasswords},
		{key: "exporter", name: s.ExporterUserName, access: redisacl.AccessString(), passwords: s.exporterPasswords},
	}
	for i := range users {
		users[i].id = s.Name() + "-" + users[i].key
	}
	return users
}

// defaultUserPassword is sha256("elasticache-exporter: disabled default
// user\n" + passwords joined by "\n"), hex: the module's
// local.default_user_password.
func (s *Spec) defaultUserPassword() config.Secret {
	parts := []string{"elasticache-exporter: disabled default user"}
	for _, p := range append(append([]config.Secret{}, s.ksqldbPasswords...), s.exporterPasswords...) {
		parts = append(parts, p.Reveal())
	}
	sum := sha256.Sum256([]byte(strings.Join(parts, "\n")))
	return config.Secret(hex.EncodeToString(sum[:]))
}

// readPasswords reads the users' passwords from their files or variables.
func (s *Spec) readPasswords() error {
	read := func(field string, srcs []config.SecretSource) ([]config.Secret, error) {
		var out []config.Secret
		for i, src := range srcs {
			f := fmt.Sprintf("%s[%d]", field, i)
			if src.File != "" && src.Env != "" {
				return nil, fmt.Errorf("%s: has both file and env; keep one of them", f)
			}
			p, err := src.Read(f)
			if err != nil {
				return nil, err
			}
			out = append(out, p)
		}
		return out, nil
	}
	var err error
	if s.ksqldbPasswords, err = read("ksqldb_user_passwords", s.KsqldbUserPasswords); err != nil {
		return err
	}
	s.exporterPasswords, err = read("exporter_user_passwords", s.ExporterUserPasswords)
	return err
}

// SetUserPasswords sets the users' passwords directly (tests, callers
// holding them already).
func (s *Spec) SetUserPasswords(ksqldb, exporter []config.Secret) {
	s.ksqldbPasswords, s.exporterPasswords = ksqldb, exporter
}

// validateRBAC checks the RBAC variables with the module's rules. Messages
// never hold a password.
func (s *Spec) validateRBAC(add func(field, problem, fix string)) {
	if s.CreateUserGroup && (!s.TransitEncryptionEnabled || s.AuthToken.IsSet() || s.authToken != "") {
		add("create_user_group", "needs transit_encryption_enabled: true and no auth_token", "a group uses RBAC users or an AUTH token, not both; drop auth_token and enable transit encryption")
	}
	if !userNamePattern.MatchString(s.KsqldbUserName) || s.KsqldbUserName == "default" {
		add("ksqldb_user_name", fmt.Sprintf("%q is not a user name", clip(s.KsqldbUserName, 64)), `use a letter, then up to 39 letters, digits, hyphens and underscores, not "default"`)
	}
	if !userNamePattern.MatchString(s.ExporterUserName) || s.ExporterUserName == "default" || s.ExporterUserName == s.KsqldbUserName {
		add("exporter_user_name", fmt.Sprintf("%q is not a user name of its own", clip(s.ExporterUserName, 64)), `use a letter, then up to 39 letters, digits, hyphens and underscores, other than "default" and ksqldb_user_name`)
	}
	if !accessOnOffRule.MatchString(s.KsqldbAccessString) || accessPasswordRule.MatchString(s.KsqldbAccessString) {
		add("ksqldb_access_string", "must say on (or off) and hold no password rule (>, <, #, nopass, resetpass) nor reset", `ElastiCache sets passwords from ksqldb_user_passwords; use e.g. "on ~* &* +@all"`)
	}
	for _, pw := range []struct {
		field string
		srcs  []config.SecretSource
		read  []config.Secret
	}{
		{"ksqldb_user_passwords", s.KsqldbUserPasswords, s.ksqldbPasswords},
		{"exporter_user_passwords", s.ExporterUserPasswords, s.exporterPasswords},
	} {
		n := max(len(pw.srcs), len(pw.read))
		switch {
		case s.CreateUserGroup && (n < 1 || n > 2):
			add(pw.field, fmt.Sprintf("holds %d passwords", n), "give one, or two while rotating, as {file: PATH} or {env: VARIABLE}")
		case !s.CreateUserGroup && n > 0:
			add(pw.field, "is set while create_user_group is false", "set create_user_group: true or drop the passwords")
		}
		for i, p := range pw.read {
			if l := len(p.Reveal()); l < 16 || l > 128 || !authTokenPattern.MatchString(p.Reveal()) {
				add(fmt.Sprintf("%s[%d]", pw.field, i), fmt.Sprintf("is %d characters or holds a character AWS refuses", l), "use 16 to 128 printable ASCII characters other than space, double quote, slash and @")
			}
		}
	}
}

// userState is what AWS holds for the spec's users and group.
type userState struct {
	users map[string]*ectypes.User // by user id; missing when absent
	group *ectypes.UserGroup
}

func (p *Provisioner) readRBAC(ctx context.Context, spec *Spec) (userState, error) {
	st := userState{users: map[string]*ectypes.User{}}
	if !spec.CreateUserGroup {
		return st, nil
	}
	for _, u := range spec.rbacUsers() {
		out, err := p.c.ElastiCache.DescribeUsers(ctx, &elasticache.DescribeUsersInput{UserId: aws.String(u.id)})
		var nf *ectypes.UserNotFoundFault
		switch {
		case errors.As(err, &nf):
		case err != nil:
			return st, fmt.Errorf("describe user %s: %w", u.id, err)
		default:
			for i := range out.Users {
				if aws.ToString(out.Users[i].UserId) == u.id {
					st.users[u.id] = &out.Users[i]
				}
			}
		}
	}
	out, err := p.c.ElastiCache.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String(spec.UserGroupID())})
	var nf *ectypes.UserGroupNotFoundFault
	switch {
	case errors.As(err, &nf):
	case err != nil:
		return st, fmt.Errorf("describe user group %s: %w", spec.UserGroupID(), err)
	default:
		for i := range out.UserGroups {
			if aws.ToString(out.UserGroups[i].UserGroupId) == spec.UserGroupID() {
				st.group = &out.UserGroups[i]
			}
		}
	}
	return st, nil
}

// diffRBAC adds the users and the group to a plan. Passwords cannot be read
// back, so only the user name, access string and engine are compared.
func diffRBAC(spec *Spec, st userState, add func(kind, name string, exists bool, fields []FieldChange)) {
	if !spec.CreateUserGroup {
		return
	}
	for _, u := range spec.rbacUsers() {
		have := st.users[u.id]
		var f []FieldChange
		if have != nil {
			if h := aws.ToString(have.UserName); h != u.name {
				f = append(f, FieldChange{"user name", h, u.name})
			}
			if h := aws.ToString(have.AccessString); h != u.access {
				f = append(f, FieldChange{"access string", orNone(h), u.access})
			}
			if h := aws.ToString(have.Engine); !strings.EqualFold(h, spec.Engine) {
				f = append(f, FieldChange{"engine", orNone(h), spec.Engine})
			}
		}
		add(KindUser, u.id, have != nil, f)
	}
	var f []FieldChange
	if st.group != nil {
		var want []string
		for _, u := range spec.rbacUsers() {
			want = append(want, u.id)
		}
		if h, w := setString(st.group.UserIds), setString(want); h != w {
			f = append(f, FieldChange{"users", h, w})
		}
		if h := aws.ToString(st.group.Engine); !strings.EqualFold(h, spec.Engine) {
			f = append(f, FieldChange{"engine", orNone(h), spec.Engine})
		}
	}
	add(KindUserGroup, spec.UserGroupID(), st.group != nil, f)
}

// applyRBAC creates the missing users and the group, and sets the access
// string and engine of a user where they differ (a user moving to Valkey
// gets a password: the default user the digest); it waits until the group
// is active, as CreateReplicationGroup needs. A group's engine follows the
// spec; its members are added when missing, never removed.
func (p *Provisioner) applyRBAC(ctx context.Context, spec *Spec, st userState, done func(string, ...any)) error {
	if !spec.CreateUserGroup {
		return nil
	}
	for _, u := range spec.rbacUsers() {
		if have := st.users[u.id]; have != nil {
			in := &elasticache.ModifyUserInput{UserId: aws.String(u.id)}
			var what []string
			if aws.ToString(have.AccessString) != u.access {
				in.AccessString = aws.String(u.access)
				what = append(what, "access string")
			}
			if !strings.EqualFold(aws.ToString(have.Engine), spec.Engine) {
				in.Engine = aws.String(spec.Engine)
				if spec.Engine == EngineValkey && u.key == "default" {
					in.AuthenticationMode = createUserInput(spec, u).AuthenticationMode
				}
				what = append(what, "engine")
			}
			if len(what) > 0 {
				if _, err := p.c.ElastiCache.ModifyUser(ctx, in); err != nil {
					return fmt.Errorf("set the %s of user %s: %w", strings.Join(what, " and "), u.id, err)
				}
				done("set the %s of user %s", strings.Join(what, " and "), u.id)
			}
			continue
		}
		if _, err := p.c.ElastiCache.CreateUser(ctx, createUserInput(spec, u)); err != nil {
			return fmt.Errorf("create user %s: %w", u.id, err)
		}
		done("create user %s (%s)", u.id, u.name)
	}
	if st.group == nil {
		var ids []string
		for _, u := range spec.rbacUsers() {
			ids = append(ids, u.id)
		}
		_, err := p.c.ElastiCache.CreateUserGroup(ctx, &elasticache.CreateUserGroupInput{
			UserGroupId: aws.String(spec.UserGroupID()),
			Engine:      aws.String(spec.Engine),
			UserIds:     ids,
			Tags:        ecTags(spec.tags(spec.UserGroupID())),
		})
		if err != nil {
			return fmt.Errorf("create user group %s: %w", spec.UserGroupID(), err)
		}
		done("create user group %s", spec.UserGroupID())
	} else {
		in := &elasticache.ModifyUserGroupInput{UserGroupId: aws.String(spec.UserGroupID())}
		for _, u := range spec.rbacUsers() {
			if !slices.Contains(st.group.UserIds, u.id) {
				in.UserIdsToAdd = append(in.UserIdsToAdd, u.id)
			}
		}
		if !strings.EqualFold(aws.ToString(st.group.Engine), spec.Engine) {
			in.Engine = aws.String(spec.Engine)
		}
		if in.Engine != nil || len(in.UserIdsToAdd) > 0 {
			if _, err := p.c.ElastiCache.ModifyUserGroup(ctx, in); err != nil {
				return fmt.Errorf("update user group %s: %w", spec.UserGroupID(), err)
			}
			done("update user group %s", spec.UserGroupID())
		}
	}
	return p.waitUserGroupActive(ctx, spec.UserGroupID())
}

func createUserInput(spec *Spec, u rbacUser) *elasticache.CreateUserInput {
	in := &elasticache.CreateUserInput{
		UserId:       aws.String(u.id),
		UserName:     aws.String(u.name),
		Engine:       aws.String(spec.Engine),
		AccessString: aws.String(u.access),
		Tags:         ecTags(spec.tags(u.id)),
	}
	if len(u.passwords) == 0 {
		in.NoPasswordRequired = aws.Bool(true)
		in.AuthenticationMode = &ectypes.AuthenticationMode{Type: ectypes.InputAuthenticationTypeNoPassword}
		return in
	}
	pw := make([]string, 0, len(u.passwords))
	for _, p := range u.passwords {
		pw = append(pw, p.Reveal())
	}
	in.AuthenticationMode = &ectypes.AuthenticationMode{Type: ectypes.InputAuthenticationTypePassword, Passwords: pw}
	return in
}

func (p *Provisioner) waitUserGroupActive(ctx context.Context, id string) error {
	return p.poll(ctx, "user group "+id, func(ctx context.Context) (string, error) {
		out, err := p.c.ElastiCache.DescribeUserGroups(ctx, &elasticache.DescribeUserGroupsInput{UserGroupId: aws.String(id)})
		if err != nil || len(out.UserGroups) == 0 {
			return "", err
		}
		return aws.ToString(out.UserGroups[0].Status), nil
	}, "active")
}

// poll re-reads a status every PollInterval until it is want, for at most
// WaitTimeout.
func (p *Provisioner) poll(ctx context.Context, what string, status func(context.Context) (string, error), want string) error {
	ctx, cancel := context.WithTimeout(ctx, p.WaitTimeout)
	defer cancel()
	for {
		s, err := status(ctx)
		if err != nil {
			return fmt.Errorf("wait for %s: %w", what, err)
		}
		if s == want {
			return nil
		}
		p.log.Info("provision: waiting for "+what, "status", s)
		select {
		case <-ctx.Done():
			if errors.Is(ctx.Err(), context.DeadlineExceeded) {
				return fmt.Errorf("%s still %q after %s; it may finish later: run apply again", what, s, p.WaitTimeout)
			}
			return ctx.Err()
		case <-time.After(p.PollInterval):
		}
	}
}
