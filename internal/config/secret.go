package config

import (
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"unicode"
)

// Secret holds a password or token. Every way of printing it prints a
// placeholder, so it cannot reach a log line, an error or a YAML dump.
type Secret string

const redacted = "<secret>"

func (s Secret) String() string                    { return redacted }
func (s Secret) GoString() string                  { return redacted }
func (s Secret) Format(f fmt.State, _ rune)        { _, _ = f.Write([]byte(redacted)) }
func (s Secret) MarshalYAML() (interface{}, error) { return redacted, nil }
func (s Secret) MarshalJSON() ([]byte, error)      { return []byte(`"` + redacted + `"`), nil }
func (s Secret) MarshalText() ([]byte, error)      { return []byte(redacted), nil }
func (s Secret) Reveal() string                    { return string(s) }
func (s Secret) IsSet() bool                       { return s != "" }

// SecretSource says where a secret comes from. Inline values are refused in
// YAML so that config files can be shared; file and env are re-read on every
// reload so a rotated token is picked up without a restart.
type SecretSource struct {
	File string `yaml:"file,omitempty"`
	Env  string `yaml:"env,omitempty"`
}

// IsSet reports whether a source is configured.
func (s SecretSource) IsSet() bool { return s.File != "" || s.Env != "" }

// maxSecretBytes bounds a secret file: AUTH tokens are at most 128
// characters; a bigger file is not a token.
const maxSecretBytes = 64 << 10

// Read returns the secret. Errors name the field and, when they look like
// one, the path or variable name, but never the secret.
func (s SecretSource) Read(field string) (Secret, error) {
	switch {
	case s.File != "":
		where := "the file it names"
		if showablePath(s.File) {
			where = s.File
		}
		f, err := os.Open(s.File)
		if err != nil {
			return "", fmt.Errorf("%s.file: cannot read %s: %w; mount the secret there or fix the path", field, where, unwrapPathError(err))
		}
		defer f.Close()
		b, err := io.ReadAll(io.LimitReader(f, maxSecretBytes+1))
		if err != nil {
			return "", fmt.Errorf("%s.file: cannot read %s: %w; mount the secret there or fix the path", field, where, unwrapPathError(err))
		}
		if len(b) > maxSecretBytes {
			return "", fmt.Errorf("%s.file: %s is larger than %d bytes, which is no token; point it at the file holding only the secret", field, where, maxSecretBytes)
		}
		v := strings.TrimRight(string(b), "\r\n")
		if strings.TrimSpace(v) == "" {
			return "", fmt.Errorf("%s.file: %s is empty; write the secret into it", field, where)
		}
		if strings.ContainsAny(v, "\r\n") {
			return "", fmt.Errorf("%s.file: %s holds more than one line; write only the secret into it", field, where)
		}
		return Secret(v), nil
	case s.Env != "":
		name := "the environment variable it names"
		if shownEnvName.MatchString(s.Env) {
			name = "environment variable " + s.Env
		}
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("%s.env: %s is not set or empty; set it or use %s.file", field, name, field)
		}
		return Secret(v), nil
	}
	return "", nil
}

// envNamePattern is a POSIX environment variable name.
var envNamePattern = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]{0,127}$`)

// shownEnvName is a variable name printed in errors: upper case, as
// variables are named by convention. A lower- or mixed-case value may be a
// token typed in by mistake and is not printed.
var shownEnvName = regexp.MustCompile(`^[A-Z_][A-Z0-9_]{0,127}$`)

// showablePath says whether a file setting may be printed: a path with a
// slash. ElastiCache AUTH tokens cannot contain "/", so a token typed into
// the file setting by mistake is never echoed.
func showablePath(p string) bool {
	return strings.Contains(p, "/") && len(p) <= maxStringBytes && strings.IndexFunc(p, unicode.IsControl) < 0
}

func (s SecretSource) validate(field string) []error {
	var errs []error
	if s.File != "" && s.Env != "" {
		errs = append(errs, fieldError(field, "has both file and env", "keep one of them"))
	}
	if s.Env != "" && !envNamePattern.MatchString(s.Env) {
		errs = append(errs, fieldError(field+".env", "is not an environment variable name (not shown)", "give the variable's name (letters, digits and _), not the secret itself"))
	}
	return errs
}

// unwrapPathError keeps the OS reason ("no such file or directory") without
// repeating the path twice.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
