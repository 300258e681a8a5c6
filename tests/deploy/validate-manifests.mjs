// Offline validation of rendered Kubernetes manifests (no cluster, no network):
//   node validate-manifests.mjs out.yaml [more.yaml ...]
// Each object is checked against the API schema of its kind (kubernetes-models: types, required fields,
// enums, formats; @kubernetes-models/keda and /prometheus-operator for the two CRDs the chart can emit),
// then walked against @kubernetes/client-node's models for unknown or misspelled fields (like
// kubeconform -strict). Also: names are DNS labels/subdomains, label values are valid, and no two
// objects of one file share kind and name. Prints "N passed, M failed"; exits 1 on any failure.
// Modules resolve from beside the script: copy it into a folder whose node_modules holds
// kubernetes-models@5 @kubernetes/client-node@2 yaml@2 @kubernetes-models/keda@2
// @kubernetes-models/prometheus-operator@6 (scripts/test-deploy.sh does).
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";
import * as M from "@kubernetes/client-node/dist/gen/models/all.js"; // the top-level import breaks on node 20

const CRD_PACKAGES = { "keda.sh": "@kubernetes-models/keda", "monitoring.coreos.com": "@kubernetes-models/prometheus-operator" };
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS_LABEL_KINDS = new Set(["Service", "Namespace"]); // names that must be one DNS label (<= 63)
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

let bad = 0, ok = 0;
const fail = (m) => { console.error(m); bad++; };

// Unknown fields: walk the object against the generated model's attributeTypeMap.
function strict(v, type, path, out) {
  if (v === null || v === undefined) return;
  let m;
  if ((m = /^Array<(.+)>$/.exec(type))) { if (Array.isArray(v)) v.forEach((x, i) => strict(x, m[1], `${path}[${i}]`, out)); return; }
  if ((m = /^\{ \[key: string\]: (.+); \}$/.exec(type))) { if (typeof v === "object") for (const k in v) strict(v[k], m[1], `${path}.${k}`, out); return; }
  const C = M[type];
  if (!C || !C.attributeTypeMap || typeof v !== "object" || Array.isArray(v)) return;
  const known = new Map(C.attributeTypeMap.map((a) => [a.baseName, a.type]));
  for (const k of Object.keys(v)) {
    if (!known.has(k)) out.push(`${path}.${k}: unknown field (not in ${type})`);
    else strict(v[k], known.get(k), `${path}.${k}`, out);
  }
}

function metadataProblems(obj) {
  const out = [], name = obj.metadata?.name ?? "";
  const maxLen = DNS_LABEL_KINDS.has(obj.kind) ? 63 : 253;
  if (!DNS_SUBDOMAIN.test(name) || name.length > maxLen || (maxLen === 63 && name.includes(".")))
    out.push(`metadata.name '${name}' is not a valid ${maxLen === 63 ? "DNS label" : "DNS subdomain"}`);
  for (const [k, v] of Object.entries(obj.metadata?.labels ?? {}))
    if (typeof v !== "string" || v.length > 63 || !LABEL_VALUE.test(v)) out.push(`label ${k}=${v} is not a valid label value`);
  return out;
}

for (const file of process.argv.slice(2)) {
  const seen = new Set(); // one file is one release
  for (const doc of parseAllDocuments(readFileSync(file, "utf8"))) {
    if (doc.errors.length) { fail(`${file}: YAML: ${doc.errors[0].message}`); continue; }
    const obj = doc.toJS();
    if (!obj) continue;
    if (!obj.apiVersion || !obj.kind) { fail(`${file}: document without apiVersion/kind`); continue; }
    const [group, version] = obj.apiVersion.includes("/") ? obj.apiVersion.split("/") : [null, obj.apiVersion];
    const id = `${file}: ${obj.kind}/${obj.metadata?.name}`;
    const key = `${obj.apiVersion} ${obj.kind} ${obj.metadata?.namespace ?? ""} ${obj.metadata?.name}`;
    if (seen.has(key)) { fail(`${id}: defined twice`); continue; }
    seen.add(key);
    const pkg = group && CRD_PACKAGES[group] ? `${CRD_PACKAGES[group]}/${group}` : `kubernetes-models/${group ? group + "/" : ""}`;
    let Cls;
    try { Cls = (await import(`${pkg}${group && CRD_PACKAGES[group] ? "/" : ""}${version}/${obj.kind}`))[obj.kind]; }
    catch { fail(`${id}: unknown apiVersion/kind ${obj.apiVersion} ${obj.kind}`); continue; }
    try { new Cls(obj).validate(); } catch (e) { fail(`${id}: ${e.message}`); continue; }
    const out = metadataProblems(obj);
    if (!CRD_PACKAGES[group]) strict(obj, version[0].toUpperCase() + version.slice(1) + obj.kind, obj.kind, out);
    if (out.length) { fail(`${id}: ${out.join("; ")}`); continue; }
    ok++;
  }
}
console.log(`manifests: ${ok} passed, ${bad} failed`);
process.exit(bad || !ok ? 1 : 0);
