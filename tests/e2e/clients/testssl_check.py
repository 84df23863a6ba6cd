"""Runs Debian's testssl.sh against the gateway's TLS listener and fails on any finding
rated HIGH or CRITICAL: usage testssl_check.py HOST_IP PORT SNI_NAME CA_FILE OUT_DIR

testssl.sh's JSON and its summary are kept in OUT_DIR (the case's log directory)."""

import json
import subprocess
import sys


def main():
    ip, port, name, ca, out = sys.argv[1:6]
    jf = f"{out}/testssl.json"
    cmd = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "--fast",
           "--add-ca", ca, "--ip", ip, "--jsonfile", jf, f"{name}:{port}"]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=900)
    with open(f"{out}/testssl.txt", "w", encoding="utf-8") as f:
        f.write(p.stdout + p.stderr)
    with open(jf, encoding="utf-8") as f:
        findings = json.load(f)
    bad = [x for x in findings if x.get("severity") in ("HIGH", "CRITICAL")]
    sev = {}
    for x in findings:
        sev[x.get("severity")] = sev.get(x.get("severity"), 0) + 1
    for x in bad:
        print(f"{x['severity']} {x['id']}: {x.get('finding')}")
    print(f"testssl.sh: {len(findings)} findings by severity {sev}; "
          f"{'none HIGH or CRITICAL' if not bad else f'{len(bad)} HIGH/CRITICAL'}")
    return 1 if bad else 0


sys.exit(main())
