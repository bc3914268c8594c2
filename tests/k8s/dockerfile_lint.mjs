// Our lint of k8s/images/*.Dockerfile. The images cannot be built on the test machines (no
// container engine that works offline: docs/kubernetes.md), so this checks what a build would
// not catch until it ran somewhere else, and what a review misses: a base image that floats, an
// image that runs as root, a download at build time, a COPY of a file the repository does not
// have, a named stage nothing uses or a COPY --from of a stage never named, and a program the
// manifests start that the image never installs.
// Each Dockerfile names the image it builds in a `# image: NAME` comment line.
import { existsSync } from "node:fs";
import { basename, join } from "node:path";

// Paths every Debian base image has; anything else a manifest runs must come from the file.
const BASE_PATHS = new Set(["/bin/sh", "/bin/bash", "/bin/sleep", "/usr/bin/sleep", "/bin/true"]);

// Instructions with their arguments, continuation lines joined, comments dropped.
export function parseDockerfile(text) {
  const out = [];
  let image = null;
  let pending = "";
  let line = 0;
  let start = 0;
  for (const raw of text.split("\n")) {
    line++;
    const m = raw.match(/^#\s*image:\s*(\S+)/);
    if (m) image = m[1];
    if (pending === "" && /^\s*(#|$)/.test(raw)) continue;
    if (pending === "") start = line;
    if (/^\s*#/.test(raw)) continue;  // a comment inside a continued instruction
    if (raw.endsWith("\\")) {
      pending += `${raw.slice(0, -1)} `;
      continue;
    }
    const full = (pending + raw).trim();
    pending = "";
    const sp = full.search(/\s/);
    out.push({ line: start, op: full.slice(0, sp).toUpperCase(), args: full.slice(sp + 1).trim() });
  }
  return { image, instructions: out };
}

// Splits COPY/ADD arguments into flags, sources and destination (JSON or shell form).
function copyArgs(args) {
  const words = args.startsWith("[") ? JSON.parse(args) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith("--"));
  const rest = words.filter((w) => !w.startsWith("--"));
  return { flags, sources: rest.slice(0, -1), dest: rest.at(-1) };
}

// A FROM is pinned by digest or by a tag carrying a version (`bookworm-20250929-slim`, `1.2`);
// `latest`, no tag, or a bare codename floats.
function pinned(ref) {
  if (ref === "scratch" || ref.includes("@sha256:")) return true;
  const colon = ref.lastIndexOf(":");
  if (colon < 0 || ref.lastIndexOf("/") > colon) return false;
  const tag = ref.slice(colon + 1);
  return tag !== "latest" && /\d/.test(tag);
}

// Lints one Dockerfile. repo: the build context (the repository root). wanted: absolute paths
// the manifests run in this image. Returns findings {code, object, message}.
export function lintDockerfile(name, text, repo, wanted = []) {
  const findings = [];
  const report = (code, line, message) => findings.push({ code, object: `${name}:${line}`, message });
  const { image, instructions } = parseDockerfile(text);
  if (!image) report("docker-image-name", 1, "no `# image: NAME` line naming the image it builds");
  const stages = new Set();
  const stageLines = new Map();  // named stage -> its FROM line
  const usedStages = new Set();  // named in a later FROM or COPY --from
  let lastStage = null;
  const args = new Map();  // ARGs before the first FROM, with their defaults
  let sawFrom = false;
  let user = null;  // of the last stage
  const produced = [];  // destinations and RUN text of the last stage
  for (const ins of instructions) {
    if (ins.op === "ARG" && !sawFrom) {
      const [k, v] = ins.args.split("=");
      args.set(k, v);
    } else if (ins.op === "FROM") {
      sawFrom = true;
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"));
      // A build argument is pinned by its default: a build that overrides it says so.
      const ref = words[0].replace(/\$\{?(\w+)\}?/g, (_, k) => args.get(k) ?? "");
      if (stages.has(ref)) usedStages.add(ref);
      if (!stages.has(ref) && !pinned(ref)) {
        report("docker-from-unpinned", ins.line, `FROM ${ref} is not pinned to a version or digest`);
      }
      lastStage = words[1]?.toUpperCase() === "AS" ? words[2] : null;
      if (lastStage) {
        stages.add(lastStage);
        stageLines.set(lastStage, ins.line);
      }
      user = null;
      produced.length = 0;
    } else if (ins.op === "USER") {
      user = ins.args.split(":")[0];
    } else if (ins.op === "ADD" || ins.op === "COPY") {
      const { flags, sources, dest } = copyArgs(ins.args);
      const isUrl = (s) => /^(https?|git|ftp):|^git@/.test(s);
      if (ins.op === "ADD" && sources.some(isUrl)) {
        report("docker-add-url", ins.line, "ADD of a URL downloads at build time, unpinned and unchecked");
      }
      const fromStage = flags.some((f) => f.startsWith("--from="));
      for (const f of flags.filter((x) => x.startsWith("--from="))) {
        const from = f.slice("--from=".length).replace(/\$\{?(\w+)\}?/g, (_, k) => args.get(k) ?? "");
        // An image reference (a registry path or a tag) or a stage index is not a stage name.
        if (stages.has(from)) {
          usedStages.add(from);
        } else if (!/[:/@]/.test(from) && !/^\d+$/.test(from)) {
          report("docker-copy-from-unknown", ins.line, `${ins.op} --from=${from}: no stage of that name before it`);
        }
      }
      if (!fromStage) {
        for (const s of sources.filter((x) => !isUrl(x))) {
          const stem = s.split("*")[0];
          if (!existsSync(join(repo, stem))) {
            report("docker-copy-missing", ins.line, `${ins.op} ${s}: not in the repository`);
          }
        }
      }
      for (const s of sources) produced.push(dest.endsWith("/") ? dest + basename(s) : dest);
    } else if (ins.op === "RUN" || ins.op === "WORKDIR" || ins.op === "ENV") {
      produced.push(ins.args);
    }
  }
  for (const [stage, line] of stageLines) {
    if (stage !== lastStage && !usedStages.has(stage)) {
      report("docker-stage-unused", line, `stage ${stage} is used by no later FROM or COPY --from`);
    }
  }
  if (user === null || user === "root" || user === "0") {
    report("docker-user-root", instructions.at(-1)?.line ?? 1,
      "the final stage does not switch to a non-root USER");
  }
  for (const path of wanted) {
    if (BASE_PATHS.has(path)) continue;
    const found = produced.some((p) => p === path || path.startsWith(`${p}/`) ||
      (p.includes(" ") && p.split(/[\s;&|"'=]+/).includes(path)));
    if (!found) {
      report("docker-path-missing", 1, `${path}, which the manifests run, is installed by no COPY or RUN of the final stage`);
    }
  }
  return { image, findings };
}
