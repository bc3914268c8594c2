// The checks `validate.mjs` runs over a set of Kubernetes objects (one rendering of k8s/). Each
// finding is {code, object, message}; every code here has a broken manifest under bad/ that
// must produce it (validate.test.mjs), so no check can silently stop working.
import { findUnknownFields } from "./schema_walk.mjs";

// Kinds we check, with whether they live in a namespace.
const KINDS = {
  "v1/Namespace": false,
  "v1/ServiceAccount": true,
  "v1/ConfigMap": true,
  "v1/Secret": true,
  "v1/Service": true,
  "v1/Pod": true,
  "v1/ResourceQuota": true,
  "v1/LimitRange": true,
  "v1/PersistentVolumeClaim": true,
  "apps/v1/Deployment": true,
  "apps/v1/StatefulSet": true,
  "apps/v1/DaemonSet": true,
  "batch/v1/Job": true,
  "autoscaling/v2/HorizontalPodAutoscaler": true,
  "policy/v1/PodDisruptionBudget": true,
  "networking.k8s.io/v1/Ingress": true,
  "networking.k8s.io/v1/NetworkPolicy": true,
  "rbac.authorization.k8s.io/v1/Role": true,
  "rbac.authorization.k8s.io/v1/RoleBinding": true,
};

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IANA_SVC_NAME = /^(?=.*[a-z])[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?$/;
// Kinds whose names must be DNS-1123 labels (they become DNS names or label values).
const LABEL_NAMED = new Set(["Namespace", "Service"]);

// Pod Security "restricted" (v1.32): the volume types a pod may use.
const RESTRICTED_VOLUMES = new Set([
  "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
  "projected", "secret",
]);

const key = (o) => `${o.kind}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ""}${o.metadata?.name}`;

// The pod template of a workload object (or the Pod itself), or null.
export function podTemplate(o) {
  if (o.kind === "Pod") return { metadata: o.metadata, spec: o.spec };
  if (["Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"].includes(o.kind)) {
    return o.spec?.template ?? null;
  }
  if (o.kind === "CronJob") return o.spec?.jobTemplate?.spec?.template ?? null;
  return null;
}

// Kubernetes label-selector semantics (matchLabels and matchExpressions).
export function selectorMatches(selector, labels = {}) {
  if (!selector) return false;
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[k] !== v) return false;
  }
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const ok = {
      In: has && e.values.includes(labels[e.key]),
      NotIn: !has || !e.values.includes(labels[e.key]),
      Exists: has,
      DoesNotExist: !has,
    }[e.operator];
    if (!ok) return false;
  }
  return true;
}

function checkLabels(report, where, labels) {
  for (const [k, v] of Object.entries(labels ?? {})) {
    const slash = k.lastIndexOf("/");
    const prefix = slash >= 0 ? k.slice(0, slash) : "";
    const name = slash >= 0 ? k.slice(slash + 1) : k;
    const keyOk = name.length > 0 && name.length <= 63 && LABEL_NAME.test(name) &&
      (prefix === "" || (prefix.length <= 253 && DNS1123_SUBDOMAIN.test(prefix)));
    if (!keyOk) report("label-invalid", `${where}: label key "${k}"`);
    if (typeof v !== "string" || v.length > 63 || !LABEL_NAME.test(v)) {
      report("label-invalid", `${where}: label ${k} value "${v}"`);
    }
  }
}

function checkNames(report, o) {
  const name = o.metadata?.name ?? "";
  const re = LABEL_NAMED.has(o.kind) ? DNS1123_LABEL : DNS1123_SUBDOMAIN;
  const max = LABEL_NAMED.has(o.kind) ? 63 : 253;
  if (!re.test(name) || name.length > max) {
    report("name-dns1123", `metadata.name "${name}" is not a DNS-1123 ${
      LABEL_NAMED.has(o.kind) ? "label" : "subdomain"}`);
  }
  checkLabels(report, "metadata.labels", o.metadata?.labels);
  const tpl = podTemplate(o);
  if (!tpl) return;
  checkLabels(report, "template labels", tpl.metadata?.labels);
  const spec = tpl.spec ?? {};
  for (const c of [...(spec.initContainers ?? []), ...(spec.containers ?? [])]) {
    if (!DNS1123_LABEL.test(c.name ?? "")) {
      report("name-dns1123", `container name "${c.name}" is not a DNS-1123 label`);
    }
    for (const p of c.ports ?? []) {
      if (p.name !== undefined && (!IANA_SVC_NAME.test(p.name) || p.name.length > 15)) {
        report("name-dns1123", `container ${c.name}: port name "${p.name}" is not an IANA service name`);
      }
    }
  }
  for (const v of spec.volumes ?? []) {
    if (!DNS1123_LABEL.test(v.name ?? "")) {
      report("name-dns1123", `volume name "${v.name}" is not a DNS-1123 label`);
    }
  }
}

// Pod Security Standards, level "restricted", on one pod template.
function checkRestricted(report, tpl) {
  const spec = tpl.spec ?? {};
  const psc = spec.securityContext ?? {};
  for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
    if (spec[f] === true) report("pss-host-namespaces", `${f} is true`);
  }
  for (const v of spec.volumes ?? []) {
    const type = Object.keys(v).find((k) => k !== "name");
    if (!RESTRICTED_VOLUMES.has(type)) {
      report("pss-volume-type", `volume ${v.name} is of type ${type}, not allowed under restricted`);
    }
  }
  const all = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  for (const c of all) {
    const sc = c.securityContext ?? {};
    const where = `container ${c.name}`;
    if (sc.privileged === true) report("pss-privileged", `${where}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) {
      report("pss-privilege-escalation", `${where}: securityContext.allowPrivilegeEscalation must be false`);
    }
    const drop = sc.capabilities?.drop ?? [];
    const add = sc.capabilities?.add ?? [];
    if (!drop.includes("ALL") || add.some((a) => a !== "NET_BIND_SERVICE")) {
      report("pss-capabilities", `${where}: capabilities must drop ALL and add at most NET_BIND_SERVICE`);
    }
    const nonRoot = sc.runAsNonRoot ?? psc.runAsNonRoot;
    if (nonRoot !== true) report("pss-run-as-non-root", `${where}: runAsNonRoot is not true`);
    const uid = sc.runAsUser ?? psc.runAsUser;
    if (uid === 0) report("pss-run-as-non-root", `${where}: runAsUser is 0`);
    const seccomp = (sc.seccompProfile ?? psc.seccompProfile)?.type;
    if (seccomp !== "RuntimeDefault" && seccomp !== "Localhost") {
      report("pss-seccomp", `${where}: seccompProfile.type must be RuntimeDefault or Localhost`);
    }
    for (const p of c.ports ?? []) {
      if (p.hostPort !== undefined && p.hostPort !== 0) {
        report("pss-host-port", `${where}: hostPort ${p.hostPort}`);
      }
    }
  }
}

function containerPortNames(tpl) {
  const names = new Set();
  const numbers = new Set();
  for (const c of tpl.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name) names.add(p.name);
      numbers.add(p.containerPort);
    }
  }
  return { names, numbers };
}

// objects: the parsed documents; models: async (apiVersion, kind) -> Model class or null.
export async function checkObjects(objects, models) {
  const findings = [];
  const byKey = new Map();
  for (const o of objects) {
    const k = key(o);
    if (byKey.has(k)) findings.push({ code: "duplicate-object", object: k, message: "defined twice" });
    byKey.set(k, o);
  }
  const namespaces = new Set(objects.filter((o) => o.kind === "Namespace").map((o) => o.metadata?.name));
  const find = (kind, ns, name) => objects.find(
    (o) => o.kind === kind && o.metadata?.name === name && (ns === undefined || o.metadata?.namespace === ns));
  const workloads = objects.filter((o) => podTemplate(o) !== null);
  const hpaTargets = new Set();

  for (const o of objects) {
    const report = (code, message) => findings.push({ code, object: key(o), message });
    const typeKey = `${o.apiVersion}/${o.kind}`;
    if (!(typeKey in KINDS)) {
      report("unknown-kind", `${typeKey} is not a kind these checks know`);
      continue;
    }
    const Model = await models(o.apiVersion, o.kind);
    try {
      new Model(o).validate();
    } catch (e) {
      for (const err of e.errors ?? [{ instancePath: "", message: e.message }]) {
        report("schema", `${err.instancePath || "/"} ${err.message}`);
      }
    }
    findUnknownFields(o, o.apiVersion, o.kind, (path) => report("unknown-field", `${path} is not a field of ${o.kind}`));
    checkNames(report, o);

    const ns = o.metadata?.namespace;
    if (KINDS[typeKey] && !ns) report("namespace-missing", "no metadata.namespace");
    if (KINDS[typeKey] && ns && !namespaces.has(ns)) {
      report("namespace-missing", `namespace ${ns} is not defined here`);
    }

    const tpl = podTemplate(o);
    if (tpl) {
      if (o.kind !== "Pod" && !selectorMatches(o.spec?.selector, tpl.metadata?.labels)) {
        report("selector-mismatch", "spec.selector does not match the pod template's labels");
      }
      checkRestricted(report, tpl);
    }

    if (o.kind === "HorizontalPodAutoscaler") {
      const ref = o.spec?.scaleTargetRef ?? {};
      const target = objects.find((t) => t.kind === ref.kind && t.metadata?.name === ref.name &&
        t.metadata?.namespace === ns && t.apiVersion === ref.apiVersion);
      if (!target) {
        report("hpa-target-missing", `scaleTargetRef ${ref.apiVersion} ${ref.kind}/${ref.name} is not defined`);
        continue;
      }
      hpaTargets.add(target);
      if (target.spec?.replicas !== undefined) {
        findings.push({ code: "hpa-replicas-set", object: key(target),
          message: `spec.replicas is set, but ${key(o)} owns the replica count` });
      }
      const t = podTemplate(target);
      for (const m of o.spec?.metrics ?? []) {
        if (m.type !== "Resource" || m.resource?.target?.type !== "Utilization") continue;
        for (const c of t?.spec?.containers ?? []) {
          if (c.resources?.requests?.[m.resource.name] === undefined) {
            findings.push({ code: "hpa-requests-missing", object: key(target),
              message: `container ${c.name} has no ${m.resource.name} request, which ${key(o)} scales on` });
          }
        }
      }
    }

    if (o.kind === "Service" && o.spec?.selector) {
      const pods = workloads.filter((w) => w.metadata?.namespace === ns &&
        selectorMatches({ matchLabels: o.spec.selector }, podTemplate(w).metadata?.labels));
      if (pods.length === 0) report("service-selects-nothing", "spec.selector matches no pod template");
      for (const p of o.spec.ports ?? []) {
        const target = p.targetPort ?? p.port;
        const ok = pods.some((w) => {
          const { names, numbers } = containerPortNames(podTemplate(w));
          return typeof target === "string" ? names.has(target) : numbers.has(target);
        });
        if (pods.length > 0 && !ok) report("service-port-missing", `targetPort ${target} is no container port`);
      }
    }

    if (o.kind === "PodDisruptionBudget") {
      const any = workloads.some((w) => w.metadata?.namespace === ns &&
        selectorMatches(o.spec?.selector, podTemplate(w).metadata?.labels));
      if (!any) report("pdb-selects-nothing", "spec.selector matches no pod template");
    }

    if (o.kind === "Ingress") {
      const backends = [o.spec?.defaultBackend,
        ...(o.spec?.rules ?? []).flatMap((r) => (r.http?.paths ?? []).map((p) => p.backend))];
      for (const b of backends.filter((x) => x?.service)) {
        const svc = find("Service", ns, b.service.name);
        const port = b.service.port ?? {};
        const ok = svc && (svc.spec?.ports ?? []).some((p) => p.name === port.name || p.port === port.number);
        if (!ok) report("ingress-backend-missing", `backend service ${b.service.name} port ${port.name ?? port.number} is not defined`);
      }
    }

    if (o.kind === "RoleBinding") {
      const ref = o.roleRef ?? {};
      if (ref.kind === "Role" && !find("Role", ns, ref.name)) {
        report("rolebinding-ref-missing", `roleRef Role ${ref.name} is not defined`);
      }
      for (const s of o.subjects ?? []) {
        if (s.kind === "ServiceAccount" && !find("ServiceAccount", s.namespace ?? ns, s.name)) {
          report("rolebinding-ref-missing", `subject ServiceAccount ${s.namespace ?? ns}/${s.name} is not defined`);
        }
      }
    }
  }

  for (const w of workloads) {
    const sa = podTemplate(w).spec?.serviceAccountName;
    if (sa && sa !== "default" && !find("ServiceAccount", w.metadata?.namespace, sa)) {
      findings.push({ code: "serviceaccount-missing", object: key(w), message: `serviceAccountName ${sa} is not defined` });
    }
  }
  return findings;
}
