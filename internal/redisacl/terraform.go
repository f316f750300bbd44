package redisacl

import (
	"fmt"
	"strings"
)

// RenderTerraform writes provision/terraform/exporter_acl.tf: the exporter
// user's access string as local.exporter_access_string, with the commands
// it allows in a comment, so the module's RBAC user and this package never
// differ. It is HCL rather than JSON so that every copy of the module's
// *.tf files carries it.
func RenderTerraform() ([]byte, error) {
	access := AccessString()
	for _, r := range access {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return nil, fmt.Errorf("render exporter_acl.tf: the access string holds %q, which the generator does not escape", r)
		}
	}
	if strings.Contains(access, "${") || strings.Contains(access, "%{") {
		return nil, fmt.Errorf("render exporter_acl.tf: the access string holds a template sequence")
	}
	var b strings.Builder
	b.WriteString("# The access string of the exporter's RBAC user (main.tf, create_user_group):\n")
	b.WriteString("# on, no command but the ones elasticache-exporter sends, no key, no channel.\n")
	for _, c := range Commands {
		fmt.Fprintf(&b, "#   %-18s %s\n", strings.ToUpper(strings.ReplaceAll(c.ACL, "|", " ")), c.SentBy)
	}
	b.WriteString("# AUTH and HELLO are always allowed. Generated from internal/redisacl by\n")
	b.WriteString("# `make generate`; do not edit.\n\n")
	b.WriteString("locals {\n")
	fmt.Fprintf(&b, "  exporter_access_string = \"%s\"\n", access)
	b.WriteString("}\n")
	return []byte(b.String()), nil
}
