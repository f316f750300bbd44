package config

import (
	"fmt"
	"os"
	"strings"
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

// Read returns the secret. Errors name the source, never the value.
func (s SecretSource) Read(field string) (Secret, error) {
	switch {
	case s.File != "":
		b, err := os.ReadFile(s.File)
		if err != nil {
			return "", fmt.Errorf("%s.file: cannot read %s: %w; mount the secret there or fix the path", field, s.File, unwrapPathError(err))
		}
		v := strings.TrimRight(string(b), "\r\n")
		if v == "" {
			return "", fmt.Errorf("%s.file: %s is empty; write the secret into it", field, s.File)
		}
		return Secret(v), nil
	case s.Env != "":
		v, ok := os.LookupEnv(s.Env)
		if !ok || v == "" {
			return "", fmt.Errorf("%s.env: environment variable %s is not set or empty; set it or use %s.file", field, s.Env, field)
		}
		return Secret(v), nil
	}
	return "", nil
}

func (s SecretSource) validate(field string) []error {
	if s.File != "" && s.Env != "" {
		return []error{fieldError(field, "has both file and env", "keep one of them")}
	}
	return nil
}

// unwrapPathError keeps the OS reason ("no such file or directory") without
// repeating the path twice.
func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
