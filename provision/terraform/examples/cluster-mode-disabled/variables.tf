variable "region" {
  description = "AWS region to deploy into."
  type        = string
  default     = "eu-west-1"
}

variable "vpc_id" {
  description = "VPC of the EKS cluster running ksqlDB (module.vpc.vpc_id in the platform stack)."
  type        = string
}

variable "private_subnet_ids" {
  description = "Private subnets for Redis, one per availability zone (module.vpc.private_subnet_ids)."
  type        = list(string)
}

variable "eks_node_security_group_id" {
  description = "Security group of the EKS nodes (module.eks.node_security_group_id)."
  type        = string
}

variable "auth_token_secret_id" {
  description = "Secrets Manager secret (name or ARN) holding the Redis AUTH token as its plain-text value."
  type        = string
  default     = "kafka-platform/prod/redis-auth-token"
}
