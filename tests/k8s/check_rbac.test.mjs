// check_rbac.mjs on sample audit files in the fake API server's format: one the Role in k8s/
// covers exactly (every call the backend makes, plus a discovery request and a self access
// review, which need no Role), and one
// with six calls it must refuse, each named once: a subresource, a resource of another API
// group, an unlisted resource, a cluster-wide list, another namespace, an unlisted verb.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { byClient, checkCoverage, grants, parseAudit, renameNamespace } from "./check_rbac.mjs";
import { parseDocuments, renderKustomization, repoRoot } from "./validate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const objects = parseDocuments(renderKustomization(join(repoRoot, "k8s")), "k8s/");
const audit = (name) => parseAudit(readFileSync(join(here, "audit", name), "utf8"));

test("the Role grants the servers' service account what the backend calls", () => {
  const granted = grants(objects);
  assert.ok(granted.length > 0, "no Role bound to codeyard/codeyard-server");
  assert.deepEqual(checkCoverage(audit("covered.jsonl"), granted).missing, []);
});

test("each call the Role does not grant is named once", () => {
  const { missing } = checkCoverage(audit("uncovered.jsonl"), grants(objects));
  assert.deepEqual(missing.map((m) => `${m.verb} ${m.resource} ${m.namespace}`).sort(), [
    "create pods/attach codeyard-workspaces",
    "get leases codeyard-workspaces",
    "get pods default",
    "list pods ",
    "list secrets codeyard-workspaces",
    "update pods codeyard-workspaces",
  ]);
});

test("a service account no RoleBinding names is granted nothing", () => {
  const { missing } = checkCoverage(audit("covered.jsonl"),
    grants(objects, { namespace: "codeyard", name: "someone-else" }));
  assert.equal(missing.length, 11);
});

test("the command exits 1 naming what is missing, 0 when covered", () => {
  const script = join(here, "check_rbac.mjs");
  const ok = execFileSync(process.execPath, [script, join(here, "audit/covered.jsonl")], { encoding: "utf8" });
  assert.match(ok, /0 not granted/);
  const bad = spawnSync(process.execPath, [script, join(here, "audit/uncovered.jsonl")], { encoding: "utf8" });
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^not granted: create pods\/attach in codeyard-workspaces/m);
});

test("--namespace checks a test run's own namespace as the workspace namespace", () => {
  const elsewhere = audit("covered.jsonl").map((r) => (r.namespace ? { ...r, namespace: "kexec-test-1" } : r));
  assert.equal(checkCoverage(elsewhere, grants(objects)).missing.length, 11);
  assert.deepEqual(checkCoverage(renameNamespace(elsewhere, "kexec-test-1"), grants(objects)).missing, []);
  const script = join(here, "check_rbac.mjs");
  const run = spawnSync(process.execPath, [script, "--namespace", "default", join(here, "audit/uncovered.jsonl")],
    { encoding: "utf8" });
  assert.equal(run.status, 1);
  assert.doesNotMatch(run.stdout, /get pods in default/);
  assert.match(run.stdout, /5 not granted/);
});

test("--strict: the Role grants exactly what the backend's calls use", () => {
  const script = join(here, "check_rbac.mjs");
  const { unused } = checkCoverage(audit("covered.jsonl"), grants(objects));
  assert.deepEqual(unused, []);
  const strict = spawnSync(process.execPath, [script, "--strict", join(here, "audit/covered.jsonl")],
    { encoding: "utf8" });
  assert.equal(strict.status, 0, strict.stdout);
  // An audit that never deletes a volume: the lax check passes, --strict names the grant.
  const dir = mkdtempSync(join(tmpdir(), "cy-rbac-"));
  try {
    const partial = join(dir, "partial.jsonl");
    writeFileSync(partial, readFileSync(join(here, "audit/covered.jsonl"), "utf8").split("\n")
      .filter((l) => !(l.includes('"delete"') && l.includes("persistentvolumeclaims"))).join("\n"));
    const lax = spawnSync(process.execPath, [script, partial], { encoding: "utf8" });
    assert.equal(lax.status, 0, lax.stdout);
    const failed = spawnSync(process.execPath, [script, "--strict", partial], { encoding: "utf8" });
    assert.equal(failed.status, 1);
    assert.match(failed.stdout, /granted, not exercised: delete persistentvolumeclaims in codeyard-workspaces/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a WebSocket exec (a GET) needs get and create on pods/exec, as Kubernetes 1.35 checks", () => {
  const ws = [{ verb: "get", resource: "pods", subresource: "exec", namespace: "codeyard-workspaces" }];
  assert.deepEqual(checkCoverage(ws, grants(objects)).missing, []);
  const getOnly = grants(objects).map(({ namespace, rule }) => ({
    namespace,
    rule: rule.resources.includes("pods/exec") ? { ...rule, verbs: ["get"] } : rule,
  }));
  assert.deepEqual(checkCoverage(ws, getOnly).missing.map((m) => `${m.verb} ${m.resource}`),
    ["create pods/exec"]);
});

test("--client keeps one client's requests: a test's own reads do not count", () => {
  const executor = audit("covered.jsonl").map((r) => ({ ...r, user_agent: "codeyard/0.1.0" }));
  const testClient = { verb: "list", resource: "events", subresource: "", namespace: "codeyard-workspaces",
    user_agent: "codeyard-tests" };
  assert.deepEqual(byClient([...executor, testClient], "codeyard/"), executor);
  assert.equal(byClient([{ verb: "get", resource: "pods" }], "codeyard/").length, 0);
  const dir = mkdtempSync(join(tmpdir(), "cy-rbac-"));
  try {
    const file = join(dir, "mixed.jsonl");
    writeFileSync(file, [...executor, testClient].map((r) => JSON.stringify(r)).join("\n"));
    const script = join(here, "check_rbac.mjs");
    const all = spawnSync(process.execPath, [script, "--strict", file], { encoding: "utf8" });
    assert.equal(all.status, 1);
    assert.match(all.stdout, /not granted: list events in codeyard-workspaces/);
    const mine = spawnSync(process.execPath, [script, "--strict", "--client", "codeyard/", file],
      { encoding: "utf8" });
    assert.equal(mine.status, 0, mine.stdout);
    const nobody = spawnSync(process.execPath, [script, "--client", "kubectl/", file], { encoding: "utf8" });
    assert.equal(nobody.status, 1);
    assert.match(nobody.stderr, /no request .* was made by a client "kubectl\/..."/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
