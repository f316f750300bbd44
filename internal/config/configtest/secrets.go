// Package configtest holds test material shared by the tests of
// internal/config and cmd/exporter: configuration files that put a secret
// where it does not belong, and a check that no output carries it.
package configtest

import (
	"encoding/base64"
	"strings"
)

// Token is a made-up AUTH token.
const Token = "Zq7Xv9Kp2Lm4Nb8Rt6Wy"

// Leaks reports whether any 4-byte window of token appears in s: yaml.v3
// alone quotes 7 bytes of a value it cannot decode.
func Leaks(s, token string) bool {
	for i := 0; i+4 <= len(token); i++ {
		if strings.Contains(s, token[i:i+4]) {
			return true
		}
	}
	return false
}

// SecretShapes are configuration files that put the token where it
// does not belong, in every shape a YAML mistake can take. Each must be
// rejected, and no error may carry any part of the token. cmd/exporter
// runs the same shapes through the real binary.
func SecretShapes(token string) map[string]string {
	b64 := base64.StdEncoding.EncodeToString([]byte(token))
	return map[string]string{
		"inline scalar":              "redis:\n  password: " + token + "\n",
		"inline quoted":              "redis:\n  password: \"" + token + "\"\n",
		"inline single-quoted":       "redis:\n  password: '" + token + "'\n",
		"flow mapping key":           "redis:\n  password: {" + token + "}\n",
		"mapping key":                "redis:\n  password:\n    " + token + ": x\n",
		"sequence":                   "redis:\n  password: [" + token + "]\n",
		"block sequence":             "redis:\n  password:\n    - " + token + "\n",
		"unknown key in the secret":  "redis:\n  password: {file: /run/secret, token: " + token + "}\n",
		"unknown key next to it":     "redis:\n  password: {file: /run/secret}\n  passwd: " + token + "\n",
		"unknown top-level key":      "auth_token: " + token + "\n",
		"value under a wrong type":   "redis:\n  dial_timeout: " + token + "\n",
		"number field":               "scrape:\n  concurrency: " + token + "\n",
		"bool field":                 "slowlog:\n  enabled: " + token + "\n",
		"mapping for a scalar":       "redis:\n  client_name: {value: " + token + "}\n",
		"file is a mapping":          "redis:\n  password: {file: {" + token + ": 1}}\n",
		"custom tag":                 "redis:\n  password: !secret " + token + "\n",
		"tag is the token":           "redis:\n  password: !" + token + " {file: /run/secret}\n",
		"binary tag":                 "redis:\n  password: !!binary " + b64 + "\n",
		"binary into a string":       "redis:\n  client_name: !!binary " + b64 + "\n",
		"str tag":                    "redis:\n  password: !!str " + token + "\n",
		"alias to a scalar":          "x: &a " + token + "\nredis:\n  password: *a\n",
		"anchor named like it":       "redis:\n  password: *" + token + "\n",
		"merge of a scalar":          "redis:\n  <<: " + token + "\n",
		"literal block":              "redis:\n  password: |\n    " + token + "\n    second line\n",
		"folded block":               "redis:\n  password: >\n    " + token + "\n",
		"newline in quotes":          "redis:\n  password: \"" + token + "\\n" + token + "\"\n",
		"very long value":            "redis:\n  password: " + strings.Repeat(token, 500) + "\n",
		"very long client name":      "redis:\n  client_name: " + strings.Repeat(token, 500) + "\n",
		"second document":            "redis: {addrs: [\"127.0.0.1:6379\"]}\n---\nredis:\n  password: " + token + "\n",
		"duplicate key":              "redis:\n  password: {file: /run/secret}\n  password: " + token + "\n",
		"syntax error after it":      "redis:\n  password: " + token + ": x\n",
		"unterminated quote":         "redis:\n  password: \"" + token + "\n",
		"tab indentation":            "redis:\n\tpassword: " + token + "\n",
		"password in addrs":          "redis:\n  addrs: [\"redis://:" + token + "@host:99999\"]\n",
		"password in addrs, no host": "redis:\n  addrs: [\"redis://:" + token + "@:6379\"]\n",
		"password in addrs, a slash": "redis:\n  addrs: [\"redis://:" + token[:6] + "/" + token[6:] + "@host:6379\"]\n",
		"credentials without scheme": "redis:\n  addrs: [\"default:" + token + "@10.0.0.1:6379\"]\n",
		"token as an address":        "redis:\n  addrs: [" + token + "]\n",
		"token as the file":          "redis:\n  addrs: [\"127.0.0.1:6379\"]\n  password: {file: " + token + "}\n",
		"token as the variable":      "redis:\n  addrs: [\"127.0.0.1:6379\"]\n  password: {env: " + token + "}\n",
	}
}
