#!/usr/bin/env python3
"""How long ConductorOne waits for a sync: the time from a `sync_full` task being handed out
to its FinishTask, when the service is already running (state warm), under the real API's
limits (10 requests/min per endpoint, burst 5).

Starts `openai-access mock serve` (limits lifted while the service's first full sync fills its
state, then enforced), the fake ConductorOne (`openai-access mock c1`) and `openai-access serve`
connected to both; then SAMPLES times pushes a sync_full task and waits for its finish. Prints
each task's time, and from the service's task list the sync it ran (kind, requests, duration)
and the upload's size. A task from nothing (no state) is a full sync first: at these limits
that is `bench --simulate`'s figure (BENCHMARKS.md), plus the same .c1z and upload time.
Loopback only.

    python3 bench/c1_task.py [--bin target/release/openai-access] [--preset large] [--samples 3]
"""
import argparse, json, os, signal, ssl, subprocess, tempfile, threading, time, urllib.error, urllib.request

p = argparse.ArgumentParser()
p.add_argument("--bin", default="target/release/openai-access")
p.add_argument("--preset", default="large")
p.add_argument("--samples", type=int, default=3)
a = p.parse_args()
tmp = tempfile.mkdtemp(prefix="c1-task-")


def get(url, data=None, ctx=None):
    r = urllib.request.Request(url, data=data, method="POST" if data is not None else "GET")
    if data is not None:
        r.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(r, timeout=60, context=ctx) as f:
        return json.loads(f.read() or b"null")


mock = subprocess.Popen([a.bin, "mock", "serve", "--preset", a.preset, "--rpm", "10", "--burst", "5"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
base = mock.stdout.readline().strip()
root = base[: -len("/v1")]
get(root + "/__mock/limits?lifted=true", b"")
fake_dir = os.path.join(tmp, "c1")
fake = subprocess.Popen([a.bin, "mock", "c1", "--dir", fake_dir, "--next-poll-ms", "200"],
                        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
host = fake.stdout.readline().strip()
ca = ssl.create_default_context(cafile=os.path.join(fake_dir, "ca.pem"))
control = "https://" + host + "/__fake"
env = dict(os.environ,
           OPENAI_ADMIN_KEY="sk-admin-mock-key",
           BATON_CLIENT_ID=open(os.path.join(fake_dir, "client-id")).read().strip(),
           BATON_CLIENT_SECRET_FILE=os.path.join(fake_dir, "client-secret"),
           BATON_C1_API_HOST=host,
           SSL_CERT_FILE=os.path.join(fake_dir, "ca.pem"))
svc = subprocess.Popen([a.bin, "serve", "--base-url", base, "--listen", "127.0.0.1:0",
                        "--state", os.path.join(tmp, "state"), "--log-format", "json"],
                       env=env, stderr=subprocess.PIPE, text=True)
url = None
for line in svc.stderr:
    f = json.loads(line).get("fields", {})
    if f.get("message") == "Serving.":
        url = "http://" + f["listen"]
        break
threading.Thread(target=lambda: [None for _ in svc.stderr], daemon=True).start()
try:
    start = time.time()
    def ready():
        try:
            return get(url + "/readyz").get("ready")
        except urllib.error.HTTPError:
            return False
    while not ready():
        time.sleep(0.5)
    print(f"state warmed by a full sync with the limits lifted: {time.time() - start:.1f} s", flush=True)
    get(root + "/__mock/limits?lifted=false", b"")
    for i in range(a.samples):
        tid = get(control + "/tasks", json.dumps({"type": "sync_full"}).encode(), ca)["ids"][0]
        while True:
            state = [t for t in get(control + "/tasks", None, ca) if t["id"] == tid][0]["state"]
            if state != "queued":
                break
            time.sleep(0.02)
        handed = time.time()
        while True:
            done = [t for t in get(control + "/finished", None, ca) if t["task_id"] == tid]
            if done:
                break
            time.sleep(0.05)
        took = time.time() - handed
        rec = [t for t in get(url + "/api/v1/tasks")["tasks"] if t["id"] == tid][0]
        syncs = {s["id"]: s for s in get(url + "/api/v1/syncs")["syncs"]}
        s = syncs.get(rec.get("sync_id"), {})
        print(f"task {i + 1}: handed out -> FinishTask {took:.2f} s ({done[0]['outcome']}); "
              f"sync {s.get('id')} {s.get('kind')}: {s.get('requests')} requests, {s.get('duration_s', 0):.2f} s; "
              f"upload {rec.get('uploaded_bytes')} bytes", flush=True)
finally:
    for proc in (svc, fake, mock):
        proc.send_signal(signal.SIGTERM)
    for proc in (svc, fake, mock):
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
