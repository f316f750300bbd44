#!/usr/bin/env bash
# Checks the Terraform module in provision/terraform without touching AWS:
#   fmt -check, init + validate of the module, terraform test (mocked AWS
#   provider), the seed-example roots still matching the module README's
#   usage blocks, and init + validate of every examples/* and
#   tests/seed_examples/* root; then the same six roots with Valkey: copies
#   whose module block says engine = "valkey", engine_version = "8.0"
#   instead of the Redis version, validated with the real provider and
#   applied against the mocked one (the files in the tree stay as they are);
#   and a plan of a Valkey 8.0 group with RBAC users by the real provider,
#   offline (fake credentials, nothing read from AWS), so the provider's own
#   plan-time checks of engine = "valkey" run too.
#
# Providers: -plugin-dir=$TF_PLUGIN_DIR when set, else /opt/tf-plugins when it
# exists, else a normal init (needs the registry). Every init writes into a
# throwaway TF_DATA_DIR and lock files it creates are removed, so the tree is
# left as found. Runs every step, then exits 1 if any failed.
#
# SEED_README points at the README whose usage blocks tests/seed_examples
# copies (default: the seed's copy); when it is absent that check is skipped
# and says so.
set -uo pipefail

repo_root=$(cd "$(dirname "$0")/.." && pwd)
module_dir="$repo_root/provision/terraform"
# The steering repo's shared/ sits beside the checkout (also in CI).
seed_readme=${SEED_README:-$repo_root/../shared/seed/elasticache-module-README.md}

work=$(mktemp -d "${TMPDIR:-/tmp}/terraform-test.XXXXXX")
created_locks=()
cleanup() {
	local f
	for f in "${created_locks[@]}"; do rm -f "$f"; done
	rm -rf "$work"
}
trap cleanup EXIT

export TF_IN_AUTOMATION=1
export CHECKPOINT_DISABLE=1
# Without a CLI config file Terraform warns on every command; an empty one
# means the same as none.
cli_config=${TF_CLI_CONFIG_FILE:-${HOME:-/nonexistent}/.terraformrc}
if [[ ! -e $cli_config ]]; then
	: >"$work/terraformrc"
	export TF_CLI_CONFIG_FILE="$work/terraformrc"
fi

plugin_dir=${TF_PLUGIN_DIR:-}
if [[ -z $plugin_dir && -d /opt/tf-plugins ]]; then
	plugin_dir=/opt/tf-plugins
fi
init_args=(-backend=false -input=false -no-color)
if [[ -n $plugin_dir ]]; then
	init_args+=("-plugin-dir=$plugin_dir")
else
	# Download each provider once for all the roots.
	mkdir -p "$work/plugin-cache"
	export TF_PLUGIN_CACHE_DIR="$work/plugin-cache"
fi

failed=()
start=$SECONDS

# tf DIR ARGS...: terraform in DIR with a data dir of its own under $work.
tf() {
	local dir=$1
	shift
	TF_DATA_DIR="$work/data/${dir//\//_}" terraform -chdir="$dir" "$@"
}

# init_validate DIR: init (remembering a lock file it creates) and validate.
init_validate() {
	local dir=$1
	[[ -e $dir/.terraform.lock.hcl ]] || created_locks+=("$dir/.terraform.lock.hcl")
	if ! tf "$dir" init "${init_args[@]}" >"$work/init.log" 2>&1; then
		cat "$work/init.log"
		return 1
	fi
	tf "$dir" validate -no-color
}

# step NAME CMD...: run, time and record one check.
step() {
	local name=$1 t0=$SECONDS
	shift
	echo "==> $name"
	if "$@"; then
		echo "    ok ($((SECONDS - t0))s)"
	else
		echo "    FAILED: $name ($((SECONDS - t0))s)"
		failed+=("$name")
	fi
}

# readme_block N: the Nth ```hcl block of the seed README.
readme_block() {
	awk -v k="$1" '/^```hcl[[:space:]]*$/ { n++; inside = (n == k); next } /^```/ { inside = 0 } inside' "$seed_readme"
}

# normalized: drop the source line and all whitespace (terraform fmt only
# changes whitespace), so what remains is the block's content.
normalized() {
	grep -v '^[[:space:]]*source[[:space:]]*=' | tr -d ' \t\r\n'
}

check_seed_copies() {
	if [[ ! -f $seed_readme ]]; then
		echo "    SKIP: $seed_readme not found; set SEED_README to the module README to compare"
		return 0
	fi
	local i=0 root rc=0
	for root in cluster_mode_disabled cluster_mode_enabled development; do
		i=$((i + 1))
		local want got
		want=$(readme_block "$i" | normalized)
		got=$(sed -n '/^module "elasticache" {/,$p' "tests/seed_examples/$root/main.tf" | normalized)
		if [[ -z $want || $want != "$got" ]]; then
			echo "    tests/seed_examples/$root/main.tf differs from usage block $i of $seed_readme:"
			diff <(readme_block "$i" | grep -v '^[[:space:]]*source[[:space:]]*=' | tr -s ' ') \
				<(sed -n '/^module "elasticache" {/,$p' "tests/seed_examples/$root/main.tf" | grep -v '^[[:space:]]*source[[:space:]]*=' | tr -s ' ') | sed 's/^/      /'
			rc=1
		else
			echo "    tests/seed_examples/$root matches usage block $i"
		fi
	done
	return $rc
}

run_tests() {
	tf . test -no-color >"$work/test.log" 2>&1
	local rc=$?
	cat "$work/test.log"
	grep -E '^(Success|Failure)!' "$work/test.log" | sed 's/^/    summary: /'
	return $rc
}

# valkey_examples: copy the module (examples and seed examples included) to
# $work, turn each example root's `engine_version = "7.0"` into
# `engine = "valkey"` + `engine_version = "8.0"` (nothing else changes), add
# two pass-through outputs, then init + validate every root (the provider's
# own checks of engine and version) and run a terraform test that applies
# each root against the mocked provider and reads the outputs back.
valkey_examples() {
	local copy="$work/valkey" root rc=0 n=0 name
	mkdir -p "$copy"
	tar -C "$module_dir" --exclude=.terraform --exclude=.terraform.lock.hcl --exclude='*.tfstate*' -cf - . | tar -C "$copy" -xf - || return 1
	rm -f "$copy"/tests/*.tftest.hcl
	local roots=(examples/cluster-mode-disabled examples/cluster-mode-enabled examples/development
		tests/seed_examples/cluster_mode_disabled tests/seed_examples/cluster_mode_enabled tests/seed_examples/development)
	{
		echo 'mock_provider "aws" {'
		echo '  mock_data "aws_secretsmanager_secret_version" {'
		echo '    defaults = { secret_string = "mock-auth-token-0123456789" }'
		echo '  }'
		echo '  mock_resource "aws_sns_topic" {'
		echo '    defaults = { arn = "arn:aws:sns:eu-west-1:123456789012:mock-topic" }'
		echo '  }'
		echo '  mock_resource "aws_elasticache_replication_group" {'
		echo '    defaults = { primary_endpoint_address = "master.mock.cache.amazonaws.com", configuration_endpoint_address = "clustercfg.mock.cache.amazonaws.com" }'
		echo '  }'
		echo '}'
		echo 'variables {'
		echo '  vpc_id                     = "vpc-0a1b2c3d4e5f60718"'
		echo '  private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]'
		echo '  eks_node_security_group_id = "sg-0e1d2c3b4a5f60718"'
		echo '}'
	} >"$copy/tests/valkey_examples.tftest.hcl"
	for root in "${roots[@]}"; do
		if [[ $(grep -cE '^[[:space:]]*engine_version[[:space:]]*=[[:space:]]*"7\.0"[[:space:]]*$' "$copy/$root/main.tf") != 1 ]]; then
			echo "    $root/main.tf: expected one engine_version = \"7.0\" line to turn into Valkey"
			rc=1
			continue
		fi
		sed -i -E 's/^([[:space:]]*)engine_version[[:space:]]*=[[:space:]]*"7\.0"[[:space:]]*$/\1engine         = "valkey"\n\1engine_version = "8.0"/' "$copy/$root/main.tf"
		printf '\noutput "engine" {\n  value = module.elasticache.engine\n}\n\noutput "parameter_group_name" {\n  value = module.elasticache.parameter_group_name\n}\n' >>"$copy/$root/outputs.tf"
		n=$((n + 1))
		name=${root//[\/-]/_}
		{
			echo "run \"$name\" {"
			echo "  module {"
			echo "    source = \"./$root\""
			echo "  }"
			echo "  assert {"
			echo "    condition     = output.engine == \"valkey\" && endswith(output.parameter_group_name, \"-valkey8\")"
			echo "    error_message = \"$root with engine = valkey must plan a Valkey 8.0 group with a valkey8 parameter group\""
			echo "  }"
			echo "}"
		} >>"$copy/tests/valkey_examples.tftest.hcl"
		echo "    $root: engine = \"valkey\", engine_version = \"8.0\""
		init_validate "$copy/$root" >"$work/valkey-validate.log" 2>&1 || {
			cat "$work/valkey-validate.log"
			rc=1
		}
	done
	init_validate "$copy" >"$work/valkey-validate.log" 2>&1 || {
		cat "$work/valkey-validate.log"
		return 1
	}
	tf "$copy" test -no-color >"$work/valkey-test.log" 2>&1 || rc=1
	cat "$work/valkey-test.log"
	grep -qE "^Success! $n passed, 0 failed" "$work/valkey-test.log" || rc=1
	return $rc
}

# valkey_real_plan: `terraform plan` of the module with engine = "valkey",
# 8.0 and create_user_group, by the real provider with fake credentials and
# no account lookup: planning new resources calls no AWS API. Checks the
# plan's family, engines and resource count.
valkey_real_plan() {
	local root="$work/valkey-plan" log="$work/valkey-plan.log"
	mkdir -p "$root"
	cat >"$root/main.tf" <<HCL
provider "aws" {
  region                      = "eu-west-1"
  access_key                  = "test"
  secret_key                  = "test"
  skip_credentials_validation = true
  skip_requesting_account_id  = true
  skip_metadata_api_check     = true
  endpoints {
    sts = "http://127.0.0.1:9"
  }
}

module "elasticache" {
  source                     = "$module_dir"
  project_name               = "kafka-platform"
  environment                = "prod"
  vpc_id                     = "vpc-0a1b2c3d4e5f60718"
  private_subnet_ids         = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
  eks_node_security_group_id = "sg-0e1d2c3b4a5f60718"
  engine                     = "valkey"
  engine_version             = "8.0"
  create_user_group          = true
  ksqldb_user_passwords      = ["ksqldb-password-0123456789"]
  exporter_user_passwords    = ["exporter-password-0123456789"]
}
HCL
	if ! init_validate "$root" >"$log" 2>&1; then
		cat "$log"
		return 1
	fi
	tf "$root" plan -no-color -input=false -lock=false -refresh=false >"$log" 2>&1
	local rc=$? problems=()
	grep -qE '^Plan: 26 to add, 0 to change, 0 to destroy' "$log" || problems+=("26 resources to add")
	grep -qE '^[[:space:]]+\+ family[[:space:]]+= "valkey8"$' "$log" || problems+=("family valkey8")
	[[ $(grep -cE '^[[:space:]]+\+ engine[[:space:]]+= "valkey"$' "$log") == 5 ]] || problems+=("engine valkey on the group, 3 users and the user group")
	if ((rc != 0 || ${#problems[@]})); then
		cat "$log"
		printf '    the plan lacks: %s\n' "${problems[@]}"
		return 1
	fi
	grep -E '^Plan:' "$log" | sed 's/^/    /'
}

cd "$module_dir" || exit 1
echo "terraform-test: $(terraform version -json 2>/dev/null | grep -m1 terraform_version | tr -d ' ,"' || true) providers: ${plugin_dir:-registry}"

step "fmt -check -recursive" terraform fmt -check -recursive -diff -no-color .
step "init + validate (module)" init_validate .
step "terraform test" run_tests
step "seed examples match README" check_seed_copies
for dir in examples/* tests/seed_examples/*; do
	[[ -d $dir ]] || continue
	[[ $dir == tests/seed_examples/stubs ]] && continue
	step "init + validate $dir" init_validate "$dir"
done
step "examples and seed examples with engine = valkey" valkey_examples
step "real-provider plan: Valkey 8.0 with RBAC users" valkey_real_plan

echo "terraform-test: $((SECONDS - start))s"
if ((${#failed[@]})); then
	printf 'terraform-test: FAILED: %s\n' "${failed[@]}"
	exit 1
fi
echo "terraform-test: all checks passed"
