# Stand-in for the platform's VPC module in the seed example roots: fixed ids
# in the shape the real module outputs, enough for validate and a mocked plan.

output "vpc_id" {
  value = "vpc-0a1b2c3d4e5f60718"
}

output "private_subnet_ids" {
  value = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]
}
