package redisacl

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// RenderTerraform writes provision/terraform/exporter_acl.tf.json: the
// exporter user's access string as local.exporter_access_string, with the
// commands it allows in a comment, so the module's RBAC user and this
// package never differ.
func RenderTerraform() ([]byte, error) {
	var sent []string
	for _, c := range Commands {
		sent = append(sent, strings.ToUpper(strings.ReplaceAll(c.ACL, "|", " ")))
	}
	doc := struct {
		Comment string `json:"//"`
		Locals  struct {
			AccessString string `json:"exporter_access_string"`
		} `json:"locals"`
	}{
		Comment: "The access string of the exporter's RBAC user (main.tf, create_user_group): on, no command but the ones elasticache-exporter sends (" +
			strings.Join(sent, ", ") + "; AUTH and HELLO are always allowed), no key, no channel. Generated from internal/redisacl by `make generate`; do not edit.",
	}
	doc.Locals.AccessString = AccessString()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("render exporter_acl.tf.json: %w", err)
	}
	return buf.Bytes(), nil
}
