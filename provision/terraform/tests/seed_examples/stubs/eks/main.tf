# Stand-in for the platform's EKS module in the seed example roots.

output "node_security_group_id" {
  value = "sg-0e1d2c3b4a5f60718"
}
