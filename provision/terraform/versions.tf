terraform {
  # 1.9 is the first release whose variable validations may refer to other
  # variables; the cross-field rules in variables.tf depend on it.
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # Tested with 5.100.0 (scripts/terraform-test.sh). The upper bound stays
      # until the module has been exercised against the 6.x line.
      version = ">= 5.0, < 6.0"
    }
  }
}
