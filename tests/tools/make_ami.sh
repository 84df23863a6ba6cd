#!/usr/bin/env bash
# tools/make-ami: the --dry-run sequence is complete and correct, and a run against a fake
# `aws` (a stub on PATH that records its arguments and answers like the CLI) passes the
# import task and snapshot ids along, waits for the import, and fails cleanly when the
# import fails.
set -uo pipefail
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
fail=0
check() { # check DESC CONDITION...
	local desc=$1
	shift
	if "$@"; then :; else
		echo "FAIL make_ami: $desc"
		fail=1
	fi
}

# ---- 1. --dry-run ----
out=$(tools/make-ami --bucket bkt --region eu-west-1 --name mg-test --dry-run 2>&1)
rc=$?
check "dry-run exits 0 (got $rc)" [ $rc = 0 ]
cmds=$(printf '%s\n' "$out" | grep '^+ aws')
check "five commands in order" [ "$(printf '%s\n' "$cmds" | awk '{ print $5 "." $6 }' | tr '\n' ' ')" = \
	"s3.cp ec2.import-snapshot ec2.describe-import-snapshot-tasks ec2.register-image s3.rm " ]
line() { printf '%s\n' "$cmds" | grep -- "$1" | head -1; }
has() { [[ "$(line "$1")" == *"$2"* ]]; }
check "s3 cp to the bucket" has " s3 cp " "s3://bkt/meshgate/mg-test.raw"
check "import-snapshot RAW from S3" has "import-snapshot" 'Format=RAW\,Description=mg-test\,UserBucket=\{S3Bucket=bkt\,S3Key=meshgate/mg-test.raw\}'
check "describe uses the task id" has "describe-import-snapshot-tasks" 'import-task-ids \<import-task-id\>'
for flag in "--boot-mode uefi" "--ena-support" "--architecture x86_64" "--root-device-name /dev/xvda" \
	"--virtualization-type hvm" "--imds-support v2.0" "--name mg-test" \
	'--block-device-mappings DeviceName=/dev/xvda\,Ebs=\{SnapshotId=\<snapshot-id\>\,VolumeType=gp3\,DeleteOnTermination=true\}'; do
	check "register-image has $flag" has "register-image" "$flag"
done
check "every command has the region" [ "$(printf '%s\n' "$cmds" | grep -c -- '--region eu-west-1')" = 5 ]
check "dry-run prints the AMI placeholder last" [ "$(tools/make-ami --bucket b --dry-run 2>/dev/null | tail -1)" = "<ami-id>" ]

# ---- 2. a fake aws ----
mkdir -p "$scratch/bin"
cat >"$scratch/bin/aws" <<'STUB'
#!/usr/bin/env bash
echo "$*" >>"$FAKE_AWS_LOG"
case "$*" in
*"s3 cp "* | *"s3 rm "*) ;;
*import-snapshot\ *) echo "import-snap-0123456789abcdef0" ;;
*describe-import-snapshot-tasks*)
	n=$(($(cat "$FAKE_AWS_STATE" 2>/dev/null || echo 0) + 1))
	echo $n >"$FAKE_AWS_STATE"
	if [ "$FAKE_AWS_MODE" = fail ]; then
		echo "deleted None ClientError: Disk validation failed"
	elif [ $n -lt 3 ]; then
		echo "active None converting"
	else
		echo "completed snap-0abc None"
	fi ;;
*register-image*) echo "ami-0def" ;;
*) echo "fake aws: unexpected $*" >&2; exit 2 ;;
esac
STUB
chmod +x "$scratch/bin/aws"
truncate -s 2M "$scratch/disk.raw"
export FAKE_AWS_LOG=$scratch/log FAKE_AWS_STATE=$scratch/state FAKE_AWS_MODE=ok MG_AMI_POLL_SECONDS=0
out=$(PATH=$scratch/bin:$PATH tools/make-ami --bucket bkt --image "$scratch/disk.raw" --name mg-fake 2>"$scratch/err")
rc=$?
check "fake run exits 0 (got $rc: $(tail -1 "$scratch/err"))" [ $rc = 0 ]
check "fake run prints the AMI id" [ "$(printf '%s\n' "$out" | tail -1)" = ami-0def ]
check "polled until completed (3 describes)" [ "$(grep -c describe-import "$scratch/log")" = 3 ]
check "register-image got the snapshot id" grep -q 'register-image .*SnapshotId=snap-0abc,' "$scratch/log"
check "describe got the task id" grep -q 'import-task-ids import-snap-0123456789abcdef0' "$scratch/log"
check "the upload is removed" grep -q 's3 rm --only-show-errors s3://bkt/meshgate/mg-fake.raw' "$scratch/log"
: >"$scratch/log"
rm -f "$scratch/state"
FAKE_AWS_MODE=fail PATH=$scratch/bin:$PATH tools/make-ami --bucket bkt --image "$scratch/disk.raw" >/dev/null 2>"$scratch/err"
rc=$?
check "a failed import exits 1 (got $rc)" [ $rc = 1 ]
check "a failed import says why" grep -q "make-ami: snapshot import import-snap-0123456789abcdef0 failed: ClientError: Disk validation failed" "$scratch/err"
check "no AMI registered after a failed import" [ "$(grep -c register-image "$scratch/log")" = 0 ]

if [ $fail = 0 ]; then
	echo "PASS make_ami: dry-run sequence complete; fake-aws run passes ids, waits, fails cleanly"
fi
exit $fail
