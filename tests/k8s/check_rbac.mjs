// RBAC coverage: does the Role in k8s/ grant every Kubernetes API call the backend made?
//   node tests/k8s/check_rbac.mjs [--strict] [--namespace NS] [--client PREFIX] AUDIT_FILE [MANIFESTS.yaml]
// AUDIT_FILE is what `codeyard-kube-fake --audit-out FILE` writes: one JSON object a line,
// {"verb","resource","subresource","namespace"} in RBAC terms (get/list/watch/create/delete/
// patch/update; "pods", "exec"), optionally "apiGroup" (else the group the resource belongs to).
// The grants are those of every Role bound to the servers' ServiceAccount (codeyard-server),
// in the namespace of its RoleBinding, from `kubectl kustomize k8s/` unless a file is given.
// Prints each (verb, resource[/subresource], namespace) not granted, with how many requests it
// was, and exits 1 if there is one; rules the audit never exercised are listed for information
// (a test run may not reach every path, so they are not an error). Requests with no resource
// (discovery: /api, /version) need no Role and are ignored, as are the self-reviews every
// authenticated user may create. A WebSocket exec (a GET) counts as get and create of
// pods/exec: Kubernetes 1.35 authorizes both on the upgrade (see authorized()). --strict: a granted rule the audit never exercised fails too
// (for an audit known to cover every path of the backend: the Role then holds exactly what it
// uses). --namespace NS: the tests ran the
// backend in namespace NS (one per test run, say); its requests there are checked as if made in
// codeyard-workspaces, the namespace of the deployment's Role. --client PREFIX: only the
// requests whose "user_agent" starts with PREFIX (the executor's are "codeyard/<version>";
// a test's own client, reading events or waiting on the API server, says "codeyard-tests").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

import { parseDocuments, renderKustomization, repoRoot } from "./validate.mjs";

const SERVICE_ACCOUNT = { namespace: "codeyard", name: "codeyard-server" };
// What Kubernetes grants every authenticated user (ClusterRole system:basic-user): a client
// asking what it may do (the backend's Doctor does) needs no Role.
const ALWAYS_GRANTED = new Set(["selfsubjectaccessreviews", "selfsubjectrulesreviews", "selfsubjectreviews"]);
// API groups of the resources the backend could touch; the audit line may name it instead.
const GROUPS = { leases: "coordination.k8s.io", events: "" };

// The rules granted to the service account, each with the namespace it applies in.
export function grants(objects, sa = SERVICE_ACCOUNT) {
  const out = [];
  for (const b of objects.filter((o) => o.kind === "RoleBinding")) {
    const bound = (b.subjects ?? []).some((s) => s.kind === "ServiceAccount" && s.name === sa.name &&
      (s.namespace ?? b.metadata.namespace) === sa.namespace);
    if (!bound || b.roleRef?.kind !== "Role") continue;
    const role = objects.find((o) => o.kind === "Role" && o.metadata?.name === b.roleRef.name &&
      o.metadata?.namespace === b.metadata.namespace);
    for (const rule of role?.rules ?? []) out.push({ namespace: b.metadata.namespace, rule });
  }
  return out;
}

export function parseAudit(text) {
  return text.split("\n").filter((l) => l.trim() !== "").map((l, i) => {
    try {
      return JSON.parse(l);
    } catch (e) {
      throw new Error(`audit line ${i + 1}: ${e.message}`);
    }
  });
}

const has = (list, x) => (list ?? []).includes(x) || (list ?? []).includes("*");

// What the API server authorizes for one audited request. A WebSocket exec or attach is a GET
// (get); Kubernetes 1.35 checks create on the same upgrade as well (feature gate
// AuthorizePodWebsocketUpgradeCreatePermission, beta, on by default; kubernetes#134577), so
// the Role needs both and a WebSocket-only client exercises both.
export function authorized(r) {
  if (r.verb === "get" && r.resource === "pods" && (r.subresource === "exec" || r.subresource === "attach")) {
    return [r, { ...r, verb: "create" }];
  }
  return [r];
}

// Returns {missing: [{verb, resource, namespace, count}], unused: [rule strings]}.
export function checkCoverage(requests, granted) {
  const missing = new Map();
  const used = new Set();
  for (const r of requests.flatMap(authorized)) {
    if (!r.resource || (ALWAYS_GRANTED.has(r.resource) && r.verb === "create")) continue;
    const resource = r.subresource ? `${r.resource}/${r.subresource}` : r.resource;
    const group = r.apiGroup ?? GROUPS[r.resource] ?? "";
    const hit = granted.findIndex(({ namespace, rule }) => namespace === r.namespace &&
      has(rule.apiGroups, group) && has(rule.resources, resource) && has(rule.verbs, r.verb));
    if (hit >= 0) {
      used.add(`${hit} ${resource} ${r.verb}`);
      continue;
    }
    const k = `${r.verb} ${resource} ${r.namespace ?? "(all namespaces)"}`;
    const m = missing.get(k) ?? { verb: r.verb, resource, namespace: r.namespace ?? "", count: 0 };
    m.count++;
    missing.set(k, m);
  }
  const unused = [];
  granted.forEach(({ namespace, rule }, i) => {
    for (const resource of rule.resources ?? []) {
      for (const verb of rule.verbs ?? []) {
        if (!used.has(`${i} ${resource} ${verb}`)) unused.push(`${verb} ${resource} in ${namespace}`);
      }
    }
  });
  return { missing: [...missing.values()], unused };
}

export const WORKSPACE_NAMESPACE = "codeyard-workspaces";

// Requests made in namespace `from` as if made in the workspace namespace.
export function renameNamespace(requests, from) {
  return requests.map((r) => (r.namespace === from ? { ...r, namespace: WORKSPACE_NAMESPACE } : r));
}

// The requests one client made: those whose user_agent starts with `prefix`.
export function byClient(requests, prefix) {
  return requests.filter((r) => typeof r.user_agent === "string" && r.user_agent.startsWith(prefix));
}

function main(argv) {
  let from = null;
  let client = null;
  let strict = false;
  for (;;) {
    if (argv[0] === "--strict") {
      strict = true;
      argv = argv.slice(1);
    } else if (argv[0] === "--namespace" || argv[0] === "--client") {
      if (argv[0] === "--namespace") from = argv[1];
      else client = argv[1];
      argv = argv.slice(2);
    } else {
      break;
    }
  }
  const [auditFile, manifests] = argv;
  if (!auditFile || from === undefined || client === undefined) {
    console.error("usage: check_rbac.mjs [--strict] [--namespace NS] [--client PREFIX] AUDIT_FILE [MANIFESTS.yaml]");
    return 2;
  }
  const objects = parseDocuments(
    manifests ? readFileSync(manifests, "utf8") : renderKustomization(join(repoRoot, "k8s")),
    manifests ?? "kubectl kustomize k8s/");
  const granted = grants(objects);
  const all = parseAudit(readFileSync(auditFile, "utf8"));
  const audit = client === null ? all : byClient(all, client);
  if (client !== null && audit.length === 0) {
    console.error(`check_rbac: no request in ${auditFile} was made by a client "${client}..."`);
    return 1;
  }
  const requests = from === null ? audit : renameNamespace(audit, from);
  const { missing, unused } = checkCoverage(requests, granted);
  for (const m of missing) {
    console.log(`not granted: ${m.verb} ${m.resource} in ${m.namespace || "(all namespaces)"} (${m.count} requests)`);
  }
  for (const u of unused) console.log(`granted, not exercised: ${u}`);
  console.log(`check_rbac: ${requests.length} requests, ${missing.length} not granted, ${unused.length} granted and not exercised`);
  return missing.length === 0 && (!strict || unused.length === 0) ? 0 : 1;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
