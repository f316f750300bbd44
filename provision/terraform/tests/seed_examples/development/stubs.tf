# What the copied usage example refers to outside the module block. module.vpc
# and module.eks are fixed-value stand-ins; the rest are the real resource
# types the platform stack would declare.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

module "vpc" {
  source = "../stubs/vpc"
}

module "eks" {
  source = "../stubs/eks"
}
