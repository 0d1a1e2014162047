// The Latent lab, in the visitor's browser. app.py hands this file to the lab's gr.HTML as its
// js_on_load: `element`, `props` (props.value: what gan/demo_lab.py's lab() returns), `watch` and
// `server` (server.lab_render, the fallback) are in scope.
//
// Each model's latent is the start latent times psi, then the one-number edits (set z[p] = v, or
// add v), then its own directions (pc1..pc10, the class direction), in float32 as torch computes
// them (z + a * d: gan.garment.move), so the pixels are the server's for the same latent.
// onnxruntime-web runs each folder's model.onnx on one thread (no worker, no SharedArrayBuffer);
// without WebAssembly, or if a file fails to load, the server draws instead, once per release.
const f = Math.fround;
const at = (rel) => new URL(rel, ((window.gradio_config && window.gradio_config.root) || location.origin) + "/").href;
const lab = (window.ganLab = { mode: "starting", timings: [], renders: 0, shown: {} });
const box = element.querySelector(".lab");
let data = props.value, ort = null, sessions = null, classifier = null, busy = false, pending = null;
const L = data.limits, archs = Object.keys(data.models);
const st = { mode: L.modes[0], rows: L.positions.map((pos) => ({ pos, value: 0, active: false })),
             pcs: Array(L.pcs).fill(0), cls: L.classes[1], amount: 0, psi: 1 };

const fill = (tpl, params) => tpl.replace(/\{(\w+)\}/g, (m, k) => (k in params ? String(params[k]) : m));
const word = (key) => data.words[key];
const el = (tag, attrs = {}, ...kids) => {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) k.startsWith("data-") ? e.setAttribute(k, v) : (e[k] = v);
  e.append(...kids);
  return e;
};
const said = (key) => el("span", { "data-w": key });  // words that follow the visitor's language
const slider = (min, max, step, value, cls) => el("input", { type: "range", min, max, step, value, className: cls });

// ------------------------------------------------------------------ the page part, built once
const views = archs.map((a) => el("figure", { "data-arch": a }, el("canvas", { width: 28, height: 28 }),
  el("figcaption", {}), el("button", { className: "copy" }, said("lab.copy")), el("span", { className: "copied" }),
  el("textarea", { readOnly: true, rows: 2, title: "" })));
const modes = L.modes.map((m) => el("label", {}, el("input", { type: "radio", name: "lab-mode", value: m, checked: m === st.mode }), " " + m));
const rows = st.rows.map((r, i) => el("div", { className: "row", "data-row": i },
  said("lab.position"), el("input", { type: "text", inputMode: "numeric", className: "pos", value: r.pos }),
  slider(-L.range, L.range, 0.1, 0, "val"), el("input", { type: "text", inputMode: "decimal", className: "num" }),
  ...L.report_values.map((v) => el("button", { className: "preset", "data-v": v }, String(v))),
  el("button", { className: "reset" }, said("lab.reset")), el("span", { className: "msg" })));
const pcs = st.pcs.map((_, k) => el("label", { className: "pc" }, `pc${k + 1} `, slider(-L.range, L.range, 0.1, 0, "pc"), el("output", {}, "0")));
const cls = el("select", { className: "cls" }, ...L.classes.map((c, i) => el("option", { value: c, "data-w": `class.${i}` })));
cls.value = st.cls;
box.append(el("p", { className: "status" }), el("p", { className: "source" }), el("div", { className: "views" }, ...views),
  el("fieldset", {}, el("legend", {}, said("lab.report")), said("lab.mode"), ": ", ...modes, ...rows),
  el("fieldset", {}, el("legend", {}, said("lab.pcs")), el("div", { className: "pcs" }, ...pcs),
    el("label", {}, said("lab.class"), " ", cls, " ", said("lab.amount"), " ", slider(-L.range, L.range, 0.1, 0, "amount"), el("output", {}, "0")),
    el("label", {}, said("lab.psi"), " ", slider(0, 1, 0.05, 1, "psi"), el("output", {}, "1"))));

function sayAll() {
  box.querySelectorAll("[data-w]").forEach((e) => { e.textContent = word(e.getAttribute("data-w")); });
  views.forEach((v) => { v.querySelector("textarea").title = word("lab.current"); });
  box.querySelector(".source").textContent = data.source;  // where the latent came from: a seed's image, or given
  status();
}
function status(key) {
  lab.statusKey = key || lab.statusKey || "lab.loading";
  const text = lab.statusKey === "fallback" ? fill(word("fallback"), { why: lab.why }) : word(lab.statusKey);
  box.querySelector(".status").textContent = text;
}

// ------------------------------------------------------------------ the latents, as torch computes them
function latentFor(arch) {
  const d = data.models[arch].directions, psi = f(st.psi);
  const z = Float32Array.from(data.latent, (v) => v * psi);  // stored as float32: torch's z * psi
  for (const r of st.rows) if (r.active) z[r.pos] = st.mode === "set" ? r.value : z[r.pos] + f(r.value);
  const moves = [...st.pcs.map((a, k) => [a, d[`pc${k + 1}`]]), [st.amount, d[st.cls]]];
  for (const [a, dir] of moves) {
    if (a === 0) continue;
    const fa = f(a);
    for (let i = 0; i < z.length; i++) z[i] = z[i] + f(fa * dir[i]);  // fl32(z + fl32(a * d)), as torch
  }
  return z;
}

function draw(arch, pixels, probs, image, z) {
  const canvas = element.querySelector(`figure[data-arch=${arch}] canvas`), ctx = canvas.getContext("2d");
  const img = ctx.createImageData(28, 28);
  for (let i = 0; i < 784; i++) img.data.set([pixels[i], pixels[i], pixels[i], 255], 4 * i);
  ctx.putImageData(img, 0, 0);
  let best = 0;
  for (let c = 1; c < probs.length; c++) if (probs[c] > probs[best]) best = c;
  const label = fill(word("label"), { cls: word(`class.${best}`), p: (100 * probs[best]).toFixed(0) });
  const fig = element.querySelector(`figure[data-arch=${arch}]`);
  fig.querySelector("figcaption").textContent = `${data.models[arch].name} · ${label}`;
  fig.querySelector("textarea").value = JSON.stringify(Array.from(z));
  lab.shown[arch] = { pixels: Array.from(pixels), image: image ? Array.from(image) : null, latent: Array.from(z), label };
}

async function renderBrowser() {
  const zs = {}, outs = {};
  for (const a of archs) {
    zs[a] = latentFor(a);
    const r = await sessions[a].run({ z: new ort.Tensor("float32", zs[a], [1, L.z]) });
    outs[a] = r;
  }
  const both = new Uint8Array(784 * archs.length);
  archs.forEach((a, i) => both.set(outs[a].pixels.data, 784 * i));
  const probs = (await classifier.run({ pixels: new ort.Tensor("uint8", both, [archs.length, 28, 28]) })).probs.data;
  archs.forEach((a, i) => draw(a, outs[a].pixels.data, probs.subarray(10 * i, 10 * i + 10), outs[a].image.data, zs[a]));
}

async function renderServer() {
  const zs = Object.fromEntries(archs.map((a) => [a, latentFor(a)]));
  const out = await server.lab_render(Object.fromEntries(archs.map((a) => [a, JSON.stringify(Array.from(zs[a]))])));
  if (out.error) throw new Error(out.error);  // bad input, said in the visitor's language (gan.ui.server_function)
  archs.forEach((a) => draw(a, out[a].pixels, out[a].probs, null, zs[a]));
}

// one render at a time; what changed meanwhile is drawn next, the latest state winning
function changed(ev) {
  pending = ev ? ev.timeStamp : performance.now();
  if (!busy) pump();
}
async function pump() {
  busy = lab.busy = true;  // (a test waits for false: every change so far drawn)
  while (pending !== null) {
    const t0 = pending;
    pending = null;
    try {
      await (lab.mode === "browser" ? renderBrowser() : renderServer());
      lab.renders++;
      lab.firstImageAt = lab.firstImageAt || performance.now();
      if (lab.mode === "browser") lab.timings.push(performance.now() - t0);  // input event -> pixels in the canvas
    } catch (e) {
      lab.error = String((e && e.message) || e);
      box.querySelector(".status").textContent = lab.error;
    }
  }
  busy = lab.busy = false;
}

// ------------------------------------------------------------------ the controls
function showRow(i) {
  const r = st.rows[i], row = rows[i], base = f(data.latent[r.pos] * f(st.psi));  // what an inactive row leaves
  const v = r.active ? r.value : st.mode === "set" ? Math.max(-L.range, Math.min(L.range, base)) : 0;
  row.querySelector(".val").value = v;
  row.querySelector(".num").value = r.active ? r.value : "";
  row.querySelector(".num").placeholder = st.mode === "set" ? base.toFixed(3) : "0";
  row.classList.toggle("active", r.active);
}
function number(text, name, lo, hi, whole) {  // -> a value in lo..hi, or a message in the visitor's language
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || (whole && !Number.isInteger(v)))
    return { msg: fill(word("not_number"), { name, got: text }) };
  if (v < lo || v > hi) return { msg: fill(word("outside"), { name, got: text, lo, hi }) };
  return { v };
}
rows.forEach((row, i) => {
  const r = st.rows[i], msg = row.querySelector(".msg");
  const set = (v, ev) => { r.value = v; r.active = true; msg.textContent = ""; showRow(i); changed(ev); };
  const live = (ev) => { if (lab.mode === "browser" || ev.type === "change") set(Number(ev.target.value), ev); };
  row.querySelector(".val").addEventListener("input", live);
  row.querySelector(".val").addEventListener("change", live);
  row.querySelector(".num").addEventListener("change", (ev) => {
    const got = number(ev.target.value, word("lab.value"), -L.range, L.range, false);
    got.msg ? (msg.textContent = got.msg) : set(got.v, ev);
  });
  row.querySelector(".pos").addEventListener("change", (ev) => {
    const got = number(ev.target.value, word("lab.position"), 0, L.z - 1, true);
    if (got.msg) { msg.textContent = got.msg; return; }
    Object.assign(r, { pos: got.v, active: false }); msg.textContent = ""; showRow(i); changed(ev);
  });
  row.querySelectorAll(".preset").forEach((b) => b.addEventListener("click", (ev) => set(Number(b.getAttribute("data-v")), ev)));
  row.querySelector(".reset").addEventListener("click", (ev) => { r.active = false; msg.textContent = ""; showRow(i); changed(ev); });
});
modes.forEach((m) => m.querySelector("input").addEventListener("change", (ev) => {
  st.mode = ev.target.value;
  st.rows.forEach((r, i) => { r.active = false; showRow(i); });
  changed(ev);
}));
function bind(input, apply) {  // a slider: its output shows the value; it renders live, or on release
  const go = (ev) => {
    if (lab.mode !== "browser" && ev.type === "input") { input.nextSibling.textContent = input.value; return; }
    apply(Number(input.value));
    input.nextSibling.textContent = input.value;
    changed(ev);
  };
  input.addEventListener("input", go);
  input.addEventListener("change", go);
}
pcs.forEach((p, k) => bind(p.querySelector("input"), (v) => { st.pcs[k] = v; }));
bind(box.querySelector(".amount"), (v) => { st.amount = v; });
bind(box.querySelector(".psi"), (v) => { st.psi = v; st.rows.forEach((_, i) => showRow(i)); });
cls.addEventListener("change", (ev) => { st.cls = cls.value; changed(ev); });
views.forEach((v) => v.querySelector(".copy").addEventListener("click", async () => {
  const text = v.querySelector("textarea").value;
  try { await navigator.clipboard.writeText(text); } catch (e) { v.querySelector("textarea").select(); document.execCommand("copy"); }
  lab.copied = text;  // (a test reads it)
  v.querySelector(".copied").textContent = word("lab.copied");
}));

// ------------------------------------------------------------------ start: onnxruntime, or the server
async function start() {
  sayAll();
  st.rows.forEach((_, i) => showRow(i));
  try {
    if (typeof WebAssembly !== "object") throw new Error("WebAssembly is not available");
    const missing = [...archs.filter((a) => !data.models[a].onnx), ...(data.classifier ? [] : ["classifier"])];
    if (missing.length) throw new Error(`no up-to-date model.onnx for ${missing.join(", ")}`);
    ort = await import(at(data.ort + "ort.wasm.min.mjs"));
    Object.assign(ort.env.wasm, { numThreads: 1, proxy: false, wasmPaths: at(data.ort) });
    sessions = {};
    for (const a of archs) sessions[a] = await ort.InferenceSession.create(at(data.models[a].onnx));
    classifier = await ort.InferenceSession.create(at(data.classifier));
    lab.mode = "browser";
    status("lab.ready");
  } catch (e) {
    lab.mode = "server";
    lab.why = String((e && e.message) || e).slice(0, 200);
    status("fallback");
  }
  changed(null);
}
watch("value", () => {  // a new start latent (or the page's words in another language)
  data = props.value;
  lab.updates = (lab.updates || 0) + 1;
  sayAll();
  st.rows.forEach((_, i) => showRow(i));
  if (lab.mode !== "starting") changed(null);
});
start();
