// Offline validation of the Kubernetes deployment in k8s/ (no cluster, no network):
//   node tests/k8s/validate.mjs              renders `kubectl kustomize k8s/`, validates every
//                                            object and lints k8s/images/*.Dockerfile
//   node tests/k8s/validate.mjs FILE.yaml... validates the objects of these files only
// Every object is validated with its kubernetes-models class (the API's OpenAPI schemas: types,
// required fields, formats), then with checks.mjs (what the schemas miss). Prints one line per
// finding, `code: object: message`, and exits 1 if there is any.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";

import { checkObjects, podTemplate } from "./checks.mjs";
import { lintDockerfile } from "./dockerfile_lint.mjs";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

export function parseDocuments(text, source) {
  const objects = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`${source}: ${doc.errors[0].message}`);
    const o = doc.toJS();
    if (o !== null) objects.push(o);
  }
  return objects;
}

export function renderKustomization(dir) {
  return execFileSync(process.env.KUBECTL ?? "kubectl", ["kustomize", dir], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export async function loadModel(apiVersion, kind) {
  const mod = await import(`kubernetes-models/${apiVersion}/${kind}`);
  return mod[kind];
}

// The server's library and the codeyard-pod in the workspace image speak one agent protocol,
// built from one commit: the workspace image the executor URI names must carry the server
// image's tag.
export function checkImageVersions(objects) {
  const findings = [];
  const tagOf = (ref) => (ref.match(/:([^/:@]+)(@.*)?$/) ?? [])[1];
  const servers = objects.flatMap((o) => (podTemplate(o)?.spec?.containers ?? [])
    .filter((c) => imageName(c.image ?? "") === "codeyard/server").map((c) => tagOf(c.image)));
  for (const o of objects.filter((x) => x.kind === "ConfigMap")) {
    const uri = o.data?.CODEYARD_EXECUTOR_URI;
    if (!uri?.startsWith("k8s:")) continue;
    const image = new URLSearchParams(uri.slice(uri.indexOf("?") + 1)).get("image") ?? "";
    for (const tag of servers) {
      if (tagOf(image) !== tag) {
        findings.push({ code: "image-version-skew", object: `ConfigMap/${o.metadata?.namespace}/${o.metadata?.name}`,
          message: `the executor's image ${image} is not the server's version ${tag}` });
      }
    }
  }
  return findings;
}

export async function validateObjects(objects) {
  return [...(await checkObjects(objects, loadModel)), ...checkImageVersions(objects)];
}

// The image name without its tag or digest: codeyard/server:0.1.0 -> codeyard/server.
const imageName = (ref) => ref.replace(/@.*$/, "").replace(/:[^/:]*$/, "");

// Absolute paths the manifests run, per image: container commands, exec hooks and probes, and
// the init the k8s: executor starts in the workspace image (its URI's pod_binary).
export function pathsByImage(objects) {
  const out = new Map();
  const want = (image, path) => {
    if (typeof path !== "string" || !path.startsWith("/")) return;
    const name = imageName(image);
    if (!out.has(name)) out.set(name, new Set());
    out.get(name).add(path);
  };
  for (const o of objects) {
    for (const c of podTemplate(o)?.spec?.containers ?? []) {
      want(c.image, c.command?.[0]);
      for (const h of [c.lifecycle?.preStop, c.lifecycle?.postStart, c.livenessProbe,
                       c.readinessProbe, c.startupProbe]) {
        want(c.image, h?.exec?.command?.[0]);
      }
    }
    const uri = o.kind === "ConfigMap" ? o.data?.CODEYARD_EXECUTOR_URI : undefined;
    if (uri?.startsWith("k8s:")) {
      const params = new URLSearchParams(uri.slice(uri.indexOf("?") + 1));
      if (params.get("image")) {
        want(params.get("image"), params.get("pod_binary") ?? "/usr/local/bin/codeyard-pod");
      }
    }
  }
  return out;
}

// Lints every Dockerfile in imagesDir against what the objects run; an image the objects name
// that no Dockerfile builds is a finding too.
export function lintImages(objects, imagesDir, repo = repoRoot) {
  const wanted = pathsByImage(objects);
  const findings = [];
  const built = new Set();
  for (const f of readdirSync(imagesDir).filter((n) => n.endsWith(".Dockerfile")).sort()) {
    const text = readFileSync(join(imagesDir, f), "utf8");
    const first = lintDockerfile(f, text, repo);
    const paths = [...(wanted.get(first.image) ?? [])];
    const { image, findings: found } = lintDockerfile(f, text, repo, paths);
    built.add(image);
    findings.push(...found);
  }
  for (const name of wanted.keys()) {
    if (!built.has(name)) {
      findings.push({ code: "docker-image-missing", object: name, message: `no Dockerfile in ${imagesDir} builds ${name} (a \`# image: ${name}\` line)` });
    }
  }
  return findings;
}

async function main(files) {
  let objects;
  let findings = [];
  if (files.length === 0) {
    objects = parseDocuments(renderKustomization(join(repoRoot, "k8s")), "kubectl kustomize k8s/");
    findings = await validateObjects(objects);
    findings.push(...lintImages(objects, join(repoRoot, "k8s/images")));
  } else {
    objects = files.flatMap((f) => parseDocuments(readFileSync(f, "utf8"), f));
    findings = await validateObjects(objects);
  }
  for (const f of findings) console.log(`${f.code}: ${f.object}: ${f.message}`);
  console.log(`validate: ${objects.length} objects, ${findings.length} findings`);
  return findings.length === 0 ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = await main(process.argv.slice(2));
}
