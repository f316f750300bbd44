package config

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/elasticache-exporter/elasticache-exporter/internal/config/configtest"
)

const leakToken = configtest.Token

// Every shape is rejected by Parse or by CheckRuntime, and no error holds
// any part of the token.
func TestNoSecretInErrors(t *testing.T) {
	t.Setenv(leakToken, "") // the variable the "token as the variable" shape names is empty
	for name, yml := range configtest.SecretShapes(leakToken) {
		t.Run(name, func(t *testing.T) {
			c, err := Parse([]byte(yml))
			if err == nil {
				_, err = c.CheckRuntime()
			}
			if err == nil {
				t.Fatalf("accepted:\n%s", yml)
			}
			if configtest.Leaks(err.Error(), leakToken) {
				t.Errorf("the error carries part of the token:\n%v", err)
			}
			// The file path form too.
			path := filepath.Join(t.TempDir(), "config.yml")
			if err := os.WriteFile(path, []byte(yml), 0o600); err != nil {
				t.Fatal(err)
			}
			if c, err = LoadFile(path); err == nil {
				_, err = c.CheckRuntime()
			}
			if err == nil || configtest.Leaks(err.Error(), leakToken) {
				t.Errorf("LoadFile: %v", err)
			}
		})
	}
}

// The secret's value never appears in what CheckRuntime returns when it
// is printed, and it is resolved.
func TestCheckRuntimeResolvesSecretsSilently(t *testing.T) {
	dir := t.TempDir()
	token := filepath.Join(dir, "token")
	if err := os.WriteFile(token, []byte(leakToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Parse([]byte("redis:\n  addrs: [\"127.0.0.1:6379\"]\n  username: ksql\n  password: {file: " + token + "}\n"))
	if err != nil {
		t.Fatal(err)
	}
	rt, err := c.CheckRuntime()
	if err != nil {
		t.Fatal(err)
	}
	if rt.Redis.Password.Reveal() != leakToken || rt.Redis.Username != "ksql" || rt.Redis.TLS != nil {
		t.Errorf("credentials = %+v", rt.Redis)
	}
	for _, s := range []string{sprintAll(rt), sprintAll(rt.Redis)} {
		if configtest.Leaks(s, leakToken) {
			t.Errorf("printing the runtime shows the token: %s", s)
		}
	}
}

func sprintAll(v any) string { return fmt.Sprintf("%v %+v %#v %s", v, v, v, v) }
