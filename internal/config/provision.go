package config

// ProvisionConfig makes the daemon ensure the replication group exists
// (created from a spec in the seed module's variable names) before adopting it.
type ProvisionConfig struct {
	Enabled  bool   `yaml:"enabled"`
	SpecFile string `yaml:"spec_file,omitempty"`
}

func (c *ProvisionConfig) setDefaults() {}

func (c *ProvisionConfig) validate() []error {
	if c.Enabled && c.SpecFile == "" {
		return []error{fieldError("provision.spec_file", "is empty while provision.enabled is true", "point it at a spec file (see docs/provision.md)")}
	}
	return nil
}
