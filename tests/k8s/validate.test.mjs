// "k8s: manifests validate": the rendering of k8s/ passes every check, and each check can fail.
// Each bad/NAME.yaml holds objects that replace (same kind, namespace and name) or join the
// objects of `kubectl kustomize k8s/`, and names in `# expect:` lines the finding codes the
// result must have, no more and no fewer; each bad/NAME.Dockerfile likewise for the image lint.
// Run: node --test tests/k8s/ (needs `npm ci` in tests/k8s, done by scripts/bootstrap, and kubectl).
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

import { lintDockerfile, parseDockerfile } from "./dockerfile_lint.mjs";
import {
  lintImages, parseDocuments, pathsByImage, renderKustomization, repoRoot, validateObjects,
} from "./validate.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const good = parseDocuments(renderKustomization(join(repoRoot, "k8s")), "k8s/");
const objectKey = (o) => `${o.kind}/${o.metadata?.namespace}/${o.metadata?.name}`;
const expected = (text) => [...text.matchAll(/^# expect: (\S+)/gm)].map((m) => m[1]).sort();
const codes = (findings) => [...new Set(findings.map((f) => f.code))].sort();

test("the rendering of k8s/ has every part the deployment needs", () => {
  const kinds = good.map((o) => o.kind).sort();
  for (const kind of ["Namespace", "ServiceAccount", "ConfigMap", "Secret", "Deployment", "Service",
                      "HorizontalPodAutoscaler", "PodDisruptionBudget", "Ingress", "Role",
                      "RoleBinding", "NetworkPolicy", "ResourceQuota", "LimitRange"]) {
    assert.ok(kinds.includes(kind), `no ${kind} in kubectl kustomize k8s/`);
  }
});

test("k8s/ passes every check, and its Dockerfiles the lint", async () => {
  const findings = [...(await validateObjects(good)), ...lintImages(good, join(repoRoot, "k8s/images"))];
  assert.deepEqual(findings, []);
});

const badYaml = readdirSync(join(here, "bad")).filter((f) => f.endsWith(".yaml")).sort();
for (const file of badYaml) {
  test(`bad/${file} is refused with exactly its named findings`, async () => {
    const text = readFileSync(join(here, "bad", file), "utf8");
    const want = expected(text);
    assert.ok(want.length > 0, "no `# expect:` line");
    const broken = parseDocuments(text, file);
    const replaced = new Set(broken.map(objectKey));
    const objects = [...good.filter((o) => !replaced.has(objectKey(o))), ...broken];
    assert.deepEqual(codes(await validateObjects(objects)), want);
  });
}

const wanted = pathsByImage(good);
const badDockerfiles = readdirSync(join(here, "bad")).filter((f) => f.endsWith(".Dockerfile")).sort();
for (const file of badDockerfiles) {
  test(`bad/${file} fails the lint with exactly its named findings`, () => {
    const text = readFileSync(join(here, "bad", file), "utf8");
    const want = expected(text);
    assert.ok(want.length > 0, "no `# expect:` line");
    const { image } = parseDockerfile(text);
    const { findings } = lintDockerfile(file, text, repoRoot, [...(wanted.get(image) ?? [])]);
    assert.deepEqual(codes(findings), want);
  });
}

test("an image the manifests name that no Dockerfile builds is a finding", () => {
  const dir = mkdtempSync(join(tmpdir(), "codeyard-k8s-images-"));
  try {
    copyFileSync(join(repoRoot, "k8s/images/server.Dockerfile"), join(dir, "server.Dockerfile"));
    const findings = lintImages(good, dir);
    assert.deepEqual(codes(findings), ["docker-image-missing"]);
    assert.match(findings[0].object, /codeyard\/workspace/);
  } finally {
    rmSync(dir, { recursive: true });
  }
});

test("the paths the manifests run are what the lint checks the images for", () => {
  assert.deepEqual([...wanted.get("codeyard/server")].sort(),
    ["/bin/sleep", "/opt/codeyard/bin/codeyard-server"]);
  assert.deepEqual([...wanted.get("codeyard/workspace")], ["/usr/local/bin/codeyard-pod"]);
  assert.equal(basename(here), "k8s");
});

// k18 (issue 18): the workspace image's Node.js is 20, from a node:20 image of the image's own
// Debian release, while Debian bookworm's apt (and so `codeyard image build`) has only 18.
test("the workspace image takes Node.js 20 from a node:20 stage of its Debian release", () => {
  const text = readFileSync(join(repoRoot, "k8s/images/workspace.Dockerfile"), "utf8");
  const { instructions } = parseDockerfile(text);
  const nodeArg = instructions.find((i) => i.op === "ARG" && i.args.startsWith("NODE_IMAGE="));
  assert.ok(nodeArg, "no ARG NODE_IMAGE");
  assert.match(nodeArg.args, /^NODE_IMAGE=node:20\.[\d.]+-bookworm-slim$/);
  const base = instructions.find((i) => i.op === "ARG" && i.args.startsWith("BASE="));
  assert.match(base.args, /bookworm/, "the node stage's release is the base's");
  const copies = instructions.filter((i) => i.op === "COPY" && i.args.startsWith("--from=node "));
  assert.deepEqual(copies.map((i) => i.args.split(/\s+/)[1]),
    ["/usr/local/bin/node", "/usr/local/lib/node_modules"]);
  const apt = instructions.filter((i) => i.op === "RUN" && i.args.includes("apt-get install"));
  assert.ok(!/\bnodejs\b/.test(apt.at(-1).args), "the final stage installs Debian's nodejs too");
});
