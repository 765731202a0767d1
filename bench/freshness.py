#!/usr/bin/env python3
"""How long an out-of-band change takes to show in `serve`'s answers, under the real API's
limits (10 requests/min per endpoint, burst 5) and the default --interval (5 min).

Starts `openai-access mock serve` (limits lifted while the service's first full sync fills its
state, then enforced), then `openai-access serve` with its defaults, and SAMPLES times: waits a
random part of an interval, makes a change in the mock "in the dashboard" (a user made org
owner), and polls the service until `who --resource role:owner` lists that user. Prints each
delay, and the incremental syncs' durations and requests. Loopback only.

With --full-sync-interval, each change is made while a background reconciliation runs: once
/metrics says one is under way, after --after-pass-start seconds (default: a random part of an
interval). Issue 34's case: `--preset small --interval 30 --full-sync-interval 90
--after-pass-start 20`.

    python3 bench/freshness.py [--bin target/release/openai-access] [--preset medium] [--samples 3]
"""
import argparse, json, os, random, signal, subprocess, sys, tempfile, time, urllib.request

p = argparse.ArgumentParser()
p.add_argument("--bin", default="target/release/openai-access")
p.add_argument("--preset", default="medium")
p.add_argument("--samples", type=int, default=3)
p.add_argument("--interval", type=int, default=None, help="serve --interval in seconds (default: serve's own, 300)")
p.add_argument("--full-sync-interval", type=int, default=None, help="serve --full-sync-interval in seconds; each change is then made during a reconciliation")
p.add_argument("--after-pass-start", type=float, default=None, help="seconds after a reconciliation started to make the change")
p.add_argument("--seed", type=int, default=1)
a = p.parse_args()
rng = random.Random(a.seed)
tmp = tempfile.mkdtemp(prefix="freshness-")
TOKEN = "freshness-bench-token"
open(os.path.join(tmp, "token"), "w").write(TOKEN)

def req(url, data=None, token=None):
    r = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if token:
        r.add_header("Authorization", "Bearer " + token)
    if data is not None:
        r.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(r, timeout=30) as f:
        return json.loads(f.read() or b"null")

mock = subprocess.Popen([a.bin, "mock", "serve", "--preset", a.preset, "--rpm", "10", "--burst", "5"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
base = mock.stdout.readline().strip()          # http://127.0.0.1:PORT/v1
root = base[: -len("/v1")]
req(root + "/__mock/limits?lifted=true", b"")
env = dict(os.environ, OPENAI_ADMIN_KEY="sk-admin-mock-key")
args = [a.bin, "serve", "--base-url", base, "--listen", "127.0.0.1:0", "--api-token-file",
        os.path.join(tmp, "token"), "--state", os.path.join(tmp, "state"),
        "--log-format", "json"]
if a.interval:
    args += ["--interval", str(a.interval)]
if a.full_sync_interval:
    args += ["--full-sync-interval", str(a.full_sync_interval)]
svc = subprocess.Popen(args, env=env, stderr=subprocess.PIPE, text=True)
url = None
for line in svc.stderr:
    f = json.loads(line).get("fields", {})
    if f.get("message") == "Serving.":
        url = "http://" + f["listen"]
        break
if url is None:
    sys.exit(f"serve stopped before listening (exit {svc.wait()})")
# Drain the rest of the log in the background.
import threading
threading.Thread(target=lambda: [None for _ in svc.stderr], daemon=True).start()
while True:
    try:
        if req(url + "/readyz").get("ready"):
            break
    except Exception:
        pass
    time.sleep(0.5)
req(root + "/__mock/limits?lifted=false", b"")
interval = a.interval or 300
print(f"ready; limits enforced (10 rpm, burst 5) from now; preset {a.preset}", flush=True)

def metric(name):
    with urllib.request.urlopen(url + "/metrics", timeout=30) as f:
        for line in f.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return None

def reconciling():
    return metric("openai_access_reconciliation_running") == 1.0

def owners():
    w = req(url + "/api/v1/resources/role/owner/access", token=TOKEN)
    return {h["principal"]["key"]["id"] for r in w["roles"] for h in r["holders"]}

org_users = [u for u in req(url + "/api/v1/grants?resource=organization:" + req(url + "/api/v1/summary", token=TOKEN)["org_id"] + "&limit=1000", token=TOKEN)["grants"]
             if u["principal"]["key"]["resource_type"] == "user"]
candidates = [u["principal"]["key"]["id"] for u in org_users]
rng.shuffle(candidates)
delays = []
during = []
for i in range(a.samples):
    if a.full_sync_interval:
        t = time.monotonic()
        while not reconciling():
            time.sleep(0.5)
        waited = time.monotonic() - t
        time.sleep(a.after_pass_start if a.after_pass_start is not None else rng.uniform(0, interval))
        print(f"sample {i + 1}: a reconciliation under way (waited {waited:.0f} s for one)", flush=True)
    else:
        # A change at a random moment of the schedule, not just after a sync.
        time.sleep(rng.uniform(0, interval))
    already = owners()
    user = next(u for u in candidates if u not in already)
    candidates.remove(user)
    change = {"op": "request", "method": "POST", "path": f"/organization/users/{user}", "body": {"role": "owner"}}
    req(root + "/__mock/change", json.dumps(change).encode())
    t0 = time.monotonic()
    at_change = reconciling()
    while user not in owners():
        time.sleep(0.5)
    d = time.monotonic() - t0
    delays.append(d)
    still = reconciling()
    during.append([at_change, still])
    print(f"sample {i + 1}: {user} made owner; visible after {d:.1f} s"
          f" (reconciliation running at the change: {at_change}, when visible: {still})", flush=True)
syncs = req(url + "/api/v1/syncs", token=TOKEN)["syncs"]
inc = [s for s in syncs if s["kind"] == "incremental" and s["result"] == "ok"]
print(json.dumps({
    "delays_s": [round(d, 1) for d in delays],
    "reconciling_at_change_and_when_visible": during,
    "reconciliation_passes_completed": metric("openai_access_reconciliation_passes_total"),
    "incremental_syncs": len(inc),
    "incremental_duration_s": [round(s["duration_s"], 2) for s in inc],
    "incremental_requests": [s["requests"] for s in inc],
}, indent=1))
svc.send_signal(signal.SIGTERM)
svc.wait(timeout=60)
mock.terminate()
