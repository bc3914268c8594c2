// Unknown-field detection for Kubernetes objects. kubernetes-models validates types, required
// fields and formats, but its schemas allow additional properties, so a misspelt or misplaced
// key (`readinesProbe`, `securityContext.runAsNonroot`) passes it and the API server would drop
// it silently (or, with strict field validation, refuse the whole object). The package ships
// no raw JSON schemas, only compiled validators and TypeScript declarations; the declarations
// list every property with its type, so this walks an object against them.
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const nodeModules = join(dirname(fileURLToPath(import.meta.url)), "node_modules");

// One declaration file, parsed: props maps a property name to its type expression (null when
// the file declares a scalar alias such as Quantity or Time), imports maps type names to files.
const declarations = new Map();

function stripComments(text) {
  return text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
}

function resolveImport(fromFile, spec) {
  const base = spec.startsWith(".") ? resolve(dirname(fromFile), spec) : join(nodeModules, spec);
  return `${base}.d.ts`;
}

// The body of `export interface I... { ... }` up to its matching brace.
function interfaceBody(text) {
  const start = text.search(/export interface I\w+(?: extends [\w, ]+)? \{/);
  if (start < 0) return null;
  let depth = 0;
  for (let i = text.indexOf("{", start); i < text.length; i++) {
    if (text[i] === "{") depth++;
    if (text[i] === "}" && --depth === 0) return text.slice(text.indexOf("{", start) + 1, i);
  }
  throw new Error("unbalanced interface");
}

// Splits `"a"?: T; "b": { [key: string]: U; };` into [name, type] pairs at depth 0.
function properties(body) {
  const out = new Map();
  let depth = 0;
  let current = "";
  for (const ch of body) {
    if (ch === "{" || ch === "<") depth++;
    if (ch === "}" || ch === ">") depth--;
    if (ch === ";" && depth === 0) {
      const m = current.trim().match(/^"([^"]+)"\??:\s*([\s\S]+)$/);
      if (m) out.set(m[1], m[2].trim());
      current = "";
      continue;
    }
    current += ch;
  }
  return out;
}

function load(file) {
  if (declarations.has(file)) return declarations.get(file);
  const text = stripComments(readFileSync(file, "utf8"));
  const imports = new Map();
  for (const m of text.matchAll(/import \{ (\w+) \} from "([^"]+)";/g)) {
    imports.set(m[1], resolveImport(file, m[2]));
  }
  const body = interfaceBody(text);
  const decl = { file, imports, props: body === null ? null : properties(body) };
  declarations.set(file, decl);
  return decl;
}

// A type expression, as a walker: {kind: "object", decl} | {kind: "array", of} |
// {kind: "map", of} | {kind: "leaf"}.
function typeOf(decl, expr) {
  let m = expr.match(/^Array<([\s\S]+)>$/);
  if (m) return { kind: "array", of: typeOf(decl, m[1].trim()) };
  m = expr.match(/^\{\s*\[key: string\]:\s*([\s\S]+?);?\s*\}$/);
  if (m) return { kind: "map", of: typeOf(decl, m[1].trim()) };
  if (decl.imports.has(expr)) {
    const target = load(decl.imports.get(expr));
    return target.props === null ? { kind: "leaf" } : { kind: "object", decl: target };
  }
  return { kind: "leaf" };
}

// The declaration file of a top-level kind: "apps/v1" + "Deployment" ->
// kubernetes-models/apps/v1/Deployment.d.ts; core "v1" -> kubernetes-models/v1/...
export function declarationFile(apiVersion, kind) {
  return join(nodeModules, "kubernetes-models", apiVersion, `${kind}.d.ts`);
}

// Calls report(path, key) for every key of obj that its declared type does not have.
export function findUnknownFields(obj, apiVersion, kind, report) {
  const walk = (value, type, path) => {
    if (value === null || value === undefined) return;
    if (type.kind === "array" && Array.isArray(value)) {
      value.forEach((v, i) => walk(v, type.of, `${path}[${i}]`));
    } else if (type.kind === "map" && typeof value === "object") {
      for (const [k, v] of Object.entries(value)) walk(v, type.of, `${path}.${k}`);
    } else if (type.kind === "object" && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) {
        const expr = type.decl.props.get(k);
        if (expr === undefined) {
          report(path === "" ? k : `${path}.${k}`, k);
          continue;
        }
        walk(v, typeOf(type.decl, expr), path === "" ? k : `${path}.${k}`);
      }
    }
  };
  walk(obj, { kind: "object", decl: load(declarationFile(apiVersion, kind)) }, "");
}
