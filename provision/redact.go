package provision

import (
	"errors"
	"net/url"
	"strings"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config"
)

// secrets are the values Apply sends to AWS that must never come back in
// an error: the AUTH token, the RBAC users' passwords and the Valkey
// default user's digest of them.
func (s *Spec) secrets() []string {
	var out []string
	if s.authToken != "" {
		out = append(out, s.authToken.Reveal())
	}
	out = append(out, secretsOf(s.ksqldbPasswords)...)
	out = append(out, secretsOf(s.exporterPasswords)...)
	if s.CreateUserGroup && len(s.ksqldbPasswords)+len(s.exporterPasswords) > 0 {
		out = append(out, s.defaultUserPassword().Reveal())
	}
	return out
}

// redactError returns err with every secret of the spec, as sent and as
// the query protocol encodes it, replaced by <secret>. An API (or a proxy
// in front of it) may repeat the request it refuses; the error Apply
// returns is printed and logged. When something was replaced, the result
// does not unwrap: the original error still holds the secret.
func (s *Spec) redactError(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	redacted := msg
	for _, secret := range s.secrets() {
		if secret == "" {
			continue
		}
		for _, form := range []string{secret, url.QueryEscape(secret), url.PathEscape(secret)} {
			redacted = strings.ReplaceAll(redacted, form, "<secret>")
		}
	}
	if redacted == msg {
		return err
	}
	return errors.New(redacted)
}

func secretsOf(ss []config.Secret) []string {
	out := make([]string, 0, len(ss))
	for _, s := range ss {
		out = append(out, s.Reveal())
	}
	return out
}
