#!/usr/bin/env python3
"""Requests and time per provisioning command on the `large` mock (BENCHMARKS.md, "Just-in-time
provisioning"). Every command runs with --dry-run (the same reads as a real run), so the org does
not change between rows; the count is the delta of the mock's /__mock/stats.

    python3 benches/scripts/jit_requests.py [--rpm 10] [--fresh] [--old OTHER_BINARY]

--fresh starts a new mock server per command (full buckets under --rpm); --old also runs each
command with another build of openai-access, for before/after figures. Traffic: 127.0.0.1 only.
"""
import argparse, json, os, subprocess, time, urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
NEW = os.path.join(HERE, "..", "..", "target", "release", "openai-access")
KEY = "sk-admin-mock-key"  # the embedded mock's key, not a secret


class Mock:
    def __init__(self, rpm):
        args = [NEW, "mock", "serve", "--preset", "large"]
        if rpm:
            args += ["--rpm", str(rpm), "--burst", "5"]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.base = self.proc.stdout.readline().strip().split()[-1]
        self.host = self.base.rsplit("/v1", 1)[0]

    def get(self, path):
        req = urllib.request.Request(self.base + path, headers={"Authorization": "Bearer " + KEY})
        return json.load(urllib.request.urlopen(req))

    def requests(self):
        return sum(json.load(urllib.request.urlopen(self.host + "/__mock/stats"))["requests"].values())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def rows(m):
    """One command per row of README's provisioning table, on ids read from the org."""
    users, after = [], ""
    for _ in range(5):  # enough pages to find an owner who holds no admin key
        page = m.get("/organization/users?limit=100" + after)
        users += page["data"]
        if not page.get("has_more"):
            break
        after = "&after=" + page["last_id"]
    humans = [u for u in users if not u.get("is_service_account")]
    # Owners holding no admin key, users and groups SCIM does not manage: the guards would
    # (rightly) refuse the others, and the rows measure the reads of a change that happens.
    key_owners = {k["owner"]["id"] for k in m.get("/organization/admin_api_keys")["data"] if k.get("owner")}
    owner = next(u["id"] for u in humans if u["role"] == "owner" and u["id"] not in key_owners)
    humans = [u for u in humans if not u.get("is_scim_managed")]
    reader = next(u["id"] for u in humans if u["role"] == "reader")
    for p in (p for p in m.get("/organization/projects?limit=100")["data"] if p.get("status") == "active"):
        pid = p["id"]
        roles = [r for r in m.get(f"/projects/{pid}/roles")["data"] if not r.get("predefined_role")]
        members = m.get(f"/organization/projects/{pid}/users?limit=100")["data"]
        sas = [s for s in m.get(f"/organization/projects/{pid}/service_accounts?limit=100")["data"] if s.get("role") == "member"]
        if roles and sas and any(x["role"] == "member" for x in members):
            break
    member = next(x["id"] for x in members if x["role"] == "member"
                  and not m.get(f"/organization/users/{x['id']}").get("is_scim_managed"))
    outsider = next(u["id"] for u in humans if u["id"] not in {x["id"] for x in members} and u["role"] == "reader")
    with_access = {g["group_id"] for g in m.get(f"/organization/projects/{pid}/groups")["data"]}
    group = next(g["id"] for g in m.get("/organization/groups")["data"]
                 if g["id"] not in with_access and not g.get("is_scim_managed"))
    in_group = {x["id"] for x in m.get(f"/organization/groups/{group}/users")["data"]}
    not_in_group = next(u["id"] for u in humans if u["id"] not in in_group)
    custom_org = next(r["id"] for r in m.get("/organization/roles")["data"] if not r.get("predefined_role"))
    invite = next(i["id"] for i in m.get("/organization/invites?limit=100")["data"] if i.get("status") == "pending")
    sa, role = sas[0]["id"], roles[0]["id"]
    g = lambda e, p: ["grant", "--entitlement", e, "--principal", p]
    r = lambda i: ["revoke", "--grant", i]
    return [
        ("grant org owner to a reader", g("role:owner:assigned", f"user:{reader}")),
        ("revoke org owner", r(f"role:owner:assigned:user:{owner}")),
        ("grant custom org role to a user", g(f"role:{custom_org}:assigned", f"user:{reader}")),
        ("grant custom org role to a group", g(f"role:{custom_org}:assigned", f"group:{group}")),
        ("grant project viewer to a member", g(f"project:{pid}:viewer", f"user:{member}")),
        ("grant project member to an outsider", g(f"project:{pid}:member", f"user:{outsider}")),
        ("revoke project member", r(f"project:{pid}:member:user:{member}")),
        ("grant project member to a group", g(f"project:{pid}:member", f"group:{group}")),
        ("grant project owner to a service account", g(f"project:{pid}:owner", f"service_account:{pid}/{sa}")),
        ("grant custom project role to a member", g(f"project_role:{pid}/{role}:assigned", f"user:{member}")),
        ("grant custom project role to a group", g(f"project_role:{pid}/{role}:assigned", f"group:{group}")),
        ("grant group membership", g(f"group:{group}:member", f"user:{not_in_group}")),
        ("revoke group membership", r(f"group:{group}:member:user:{not_in_group}")),
        ("delete account", ["delete-account", "--user", member]),
        ("delete invite", ["delete-invite", "--invite", invite]),
        ("create account", ["create-account", "--email", "jit@new.example", "--role", "reader", "--project", f"{pid}:member"]),
    ]


def main():
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--rpm", type=int)
    a.add_argument("--fresh", action="store_true")
    a.add_argument("--old")
    o = a.parse_args()
    ids = Mock(None)  # ids are read without a limit; the same preset and seed give the same org
    table = rows(ids)
    ids.stop()
    binaries = [("new", NEW)] + ([("old", o.old)] if o.old else [])
    m = Mock(o.rpm)
    for name, cmd in table:
        line = [name]
        for label, binary in binaries:
            if o.fresh:
                m.stop()
                m = Mock(o.rpm)
            before, t = m.requests(), time.time()
            p = subprocess.run([binary] + cmd + ["-p", "--dry-run", "--json", "--base-url", m.base],
                               capture_output=True, text=True, env={**os.environ, "OPENAI_ADMIN_KEY": KEY})
            took, n = time.time() - t, m.requests() - before
            result = json.loads(p.stdout)["result"] if p.returncode == 0 else f"exit {p.returncode}"
            line.append(f"{label}: {n} requests, {took:.1f} s ({result})")
        print(" | ".join(line), flush=True)
    m.stop()


if __name__ == "__main__":
    main()
