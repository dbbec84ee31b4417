// glassnet playground: the page. It asks the local glassnet server (the real engine, in Python)
// to build and train a network, and draws what each snapshot of the training says. Plain
// JavaScript on canvas and SVG: no framework, no build step, nothing fetched from the internet.
"use strict";

// ---------------------------------------------------------------- the configuration and the URL fragment
const DEFAULTS = {
  data: "circles", noise: 0.1, ratio: 0.5, n: 400, classes: 2, target: "", hidden: [8, 8],
  activation: "tanh", loss: "auto", optimizer: "sgd", learning_rate: 0.03, batch_size: 10,
  l2: 0, dropout: 0, seed: 0, x_feature: 0, y_feature: 1, epochs: 0,
};
const NUMBERS = ["noise", "ratio", "n", "classes", "learning_rate", "batch_size", "l2", "dropout", "seed",
  "x_feature", "y_feature", "epochs"];
const TUTORIAL_ITERATIONS = 10000; // the tutorial trains 10,000 times, then thinks
// what the tutorial trains with: one sigmoid neuron, SGD at rate 1 on its 4 examples at once
const TUTORIAL_SETTINGS = { activation: "sigmoid", optimizer: "sgd", learning_rate: 1, batch_size: 4, l2: 0, dropout: 0 };

function parseHidden(text) {
  const trimmed = text.trim();
  if (trimmed === "") return [];
  const parts = trimmed.split(/[\s,]+/).filter(Boolean);
  const widths = parts.map(Number);
  if (widths.some((w) => !Number.isInteger(w) || w < 1 || w > 256)) {
    throw new Error(`hidden layers: write widths from 1 to 256 separated by commas, like 8,8 (got "${text}")`);
  }
  return widths;
}

function configFromFragment(hash) {
  const config = { ...DEFAULTS, hidden: [...DEFAULTS.hidden] };
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  for (const [key, value] of params) {
    if (!(key in DEFAULTS)) continue;
    if (key === "hidden") {
      try { config.hidden = parseHidden(value); } catch { /* a broken link keeps the default */ }
    } else if (NUMBERS.includes(key)) {
      const n = Number(value);
      if (value !== "" && Number.isFinite(n)) config[key] = n;
    } else config[key] = value;
  }
  return config;
}

function fragmentOf(config) {
  const params = new URLSearchParams();
  for (const key of Object.keys(DEFAULTS)) {
    const value = config[key];
    if (key === "target" && config.data !== "csv") continue;
    if (key === "epochs" && !value) continue;
    params.set(key, key === "hidden" ? value.join(",") : String(value));
  }
  return "#" + params.toString().replaceAll("%2C", ",");
}

/** What the server is sent: the page's own fields (epochs 0 = never stop) left as they are. */
function sessionBody(config) {
  const body = { ...config };
  if (config.data !== "csv") delete body.target;
  if (!config.epochs) delete body.epochs;
  return body;
}

// ---------------------------------------------------------------- the page's state
const ui = {
  info: null, config: null, session: null, data: null, snap: null, points: null,
  csv: null, events: null, error: null, notice: null, hover: null, selected: null, sample: 0,
  structure: "", drawPending: false, glassBusy: false, glassAt: 0, glassEpoch: -1, queue: Promise.resolve(),
};

// ---------------------------------------------------------------- talking to the server
async function api(method, path, body = undefined, headers = {}) {
  const init = { method, headers: { "X-Glassnet-Token": TOKEN, "X-Glassnet-Page": PAGE, ...headers } };
  if (body !== undefined) {
    if (body instanceof ArrayBuffer || body instanceof Blob) init.body = body;
    else { init.body = JSON.stringify(body); init.headers["Content-Type"] = "application/json"; }
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch { /* a plain-text answer (403) */ }
  if (!response.ok) throw new Error((json && json.error) || text.trim() || `${response.status} ${response.statusText}`);
  return json;
}

/** Run user actions one after another (a click on Play waits for the network it plays). */
function queued(action) {
  ui.queue = ui.queue.then(async () => {
    ui.error = null; ui.notice = null;
    try { await action(); } catch (err) { ui.error = err.message || String(err); }
    renderMessage();
  });
  return ui.queue;
}

async function rebuild() {
  const config = ui.config;
  history.replaceState(null, "", fragmentOf(config));
  const answer = await api("POST", "/api/session", sessionBody(config));
  if (ui.events) ui.events.close();
  for (const [key, value] of Object.entries(answer.config || {})) { // as the server read it
    if (key in DEFAULTS && key !== "hidden" && value !== null) config[key] = value;
  }
  history.replaceState(null, "", fragmentOf(config));
  ui.session = answer.session;
  ui.data = answer.data;
  ui.points = null;
  ui.sample = Math.min(ui.sample, Math.max(0, (ui.data.n_train || 1) - 1));
  ui.glassEpoch = -1;
  applySnapshot(answer.snapshot);
  listen();
}

function listen() {
  const source = new EventSource(`/api/session/${ui.session}/events?token=${encodeURIComponent(TOKEN)}`);
  const session = ui.session;
  source.addEventListener("snapshot", (event) => {
    if (session !== ui.session) return;
    applySnapshot(JSON.parse(event.data));
  });
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED && session === ui.session) {
      ui.error = "lost the connection to the glassnet server: is it still running?";
      renderMessage();
    }
  };
  ui.events = source;
}

async function control(action) {
  if (!ui.session) throw new Error("nothing to train yet: choose a data set");
  const answer = await api("POST", `/api/session/${ui.session}/control`, { action });
  if (answer.snapshot) applySnapshot(answer.snapshot);
  else if (ui.snap) { ui.snap.state = answer.state; ui.snap.epoch = answer.epoch; }
  renderRunState();
}

// ---------------------------------------------------------------- snapshots in, drawing out
function applySnapshot(snap) {
  if (!snap) return;
  if (snap.points) ui.points = snap.points;
  ui.snap = snap;
  if (!ui.drawPending) { // the latest snapshot wins: draw once per animation frame
    ui.drawPending = true;
    requestAnimationFrame(() => { ui.drawPending = false; draw(); });
  }
}

function draw() {
  const snap = ui.snap;
  if (!snap) return;
  renderRunState();
  renderMetrics(snap);
  renderNetwork(snap);
  drawBoundary(snap);
  drawCurves(snap.history);
  renderConfusion(snap.confusion);
  renderMessage();
  maybeRefreshGlass(snap);
}

function renderRunState() {
  const snap = ui.snap;
  const running = snap && snap.state === "running";
  $("epoch").textContent = snap ? thousands(snap.epoch) : "0";
  $("state").textContent = snap ? snap.state : "no data";
  $("state").className = "state" + (running ? " running" : "");
  $("play").classList.toggle("active", !!running);
  $("pause").classList.toggle("active", !running);
}

function renderMetrics(snap) {
  $("train-loss").textContent = fmt(snap.train_loss);
  $("test-loss").textContent = fmt(snap.test_loss);
  const metric = snap.metric;
  if (!metric) { $("test-accuracy").textContent = "—"; return; }
  if (metric.name === "accuracy") {
    $("metric-name").textContent = "test accuracy";
    $("test-accuracy").textContent = Number.isFinite(metric.test) ? `${(100 * metric.test).toFixed(1)}%` : "—";
  } else {
    $("metric-name").textContent = `test ${metric.name === "r2" ? "R²" : metric.name}`;
    $("test-accuracy").textContent = fmt(metric.test, 3);
  }
}

function renderMessage() {
  const box = $("message");
  box.replaceChildren();
  const snap = ui.snap;
  if (ui.error) {
    box.className = "message error";
    box.append(el("p", { text: ui.error }));
    return;
  }
  const findings = (snap && snap.findings) || [];
  if (findings.length) { // the Watchdog's findings: why training paused first, then the latest
    box.className = "message finding";
    const why = snap.paused_by ? findings.filter((f) => f.kind === snap.paused_by).at(-1) : null;
    if (why) box.append(el("p", { "data-kind": why.kind }, el("b", { text: "Training paused. " }), why.text));
    for (const finding of findings.filter((f) => f !== why).slice(-3)) {
      box.append(el("p", { "data-kind": finding.kind, text: finding.text }));
    }
    return;
  }
  if (ui.notice) {
    box.className = "message info";
    box.append(el("p", { text: ui.notice }));
    return;
  }
  box.className = "message";
}

// ---------------------------------------------------------------- data: the sets, the upload, the tutorial
const TUTORIAL_ROWS = [[[0, 0, 1], 0], [[1, 1, 1], 1], [[1, 0, 1], 1], [[0, 1, 1], 0]];

function fillDatasets() {
  const select = $("dataset");
  const info = ui.info;
  const builtIn = el("optgroup", { label: "Built-in" }, info.datasets.filter((d) => !info.presets.includes(d.name)).map((d) => el("option", { value: d.name, title: describe(d), text: d.name })));
  const presets = el("optgroup", { label: "Presets" }, info.presets.map((p) => el("option", { value: p, text: p })));
  const groups = [builtIn, presets];
  if (ui.csv) groups.push(el("optgroup", { label: "Your data" }, el("option", { value: "csv", text: ui.csv.name })));
  select.replaceChildren(...groups);
  select.value = ui.config.data;
}

function describe(d) {
  if (d.task === "regression") return `${d.features} inputs, a value to predict`;
  const classes = d.max_classes && ui.config ? ui.config.classes : d.classes;
  return `${d.features} inputs, ${classes} classes`;
}

function fillTargets() {
  const csv = ui.csv;
  $("target-field").hidden = !csv || ui.config.data !== "csv";
  if (!csv) return;
  $("target").replaceChildren(...csv.columns.map((c) => el("option", { value: c, text: c })));
  $("target").value = ui.config.target;
}

function fillAxes() {
  const names = featureNames();
  const many = names.length > 2;
  $("axes-field").hidden = !many;
  if (!many) return;
  for (const id of ["x-feature", "y-feature"]) {
    $(id).replaceChildren(...names.map((n, i) => el("option", { value: i, text: n })));
  }
  $("x-feature").value = ui.config.x_feature;
  $("y-feature").value = ui.config.y_feature;
}

function reflectData() {
  const config = ui.config;
  const tutorial = config.data === "tutorial";
  const known = ui.info.datasets.find((d) => d.name === config.data);
  $("synthetic").hidden = !known;
  $("data-about").textContent = tutorial
    ? "The tutorial's own problem: 4 examples of 3 inputs; the answer is the first input. One sigmoid neuron, no bias, trained 10,000 times by SGD at rate 1 on the sum of squared errors."
    : known ? describe(known) : ui.csv ? `${ui.csv.name}: ${thousands(ui.csv.rows)} rows, ${ui.csv.columns.length} columns` : "";
  $("tutorial-table").hidden = !tutorial;
  if (tutorial) {
    $("tutorial-table").replaceChildren(el("table", {},
      el("tr", {}, el("th", { text: "input 1" }), el("th", { text: "input 2" }), el("th", { text: "input 3" }), el("th", { text: "output" })),
      TUTORIAL_ROWS.map(([x, y]) => el("tr", {}, x.map((v) => el("td", { text: String(v) })), el("td", { text: String(y) })))));
  }
  $("tutorial-prompt").hidden = !tutorial;
  $("network-note").hidden = !tutorial;
  $("network-note").textContent = tutorial ? "The tutorial fixes the network: 3 inputs, one sigmoid neuron without bias, SSE, SGD at rate 1, full batch." : "";
  for (const id of ["hidden-layers", "add-layer", "remove-layer", "activation", "loss", "optimizer", "learning-rate", "batch-size", "l2", "dropout"]) {
    $(id).disabled = tutorial;
  }
  fillTargets();
  const columns = ui.data && ui.data.columns;
  $("columns-report").hidden = !(columns && columns.length);
  $("columns").replaceChildren(...(columns || []).map((line) => el("li", { text: line })));
}

/** Put the configuration into the controls (after reading a link, or after a change). */
function reflectConfig() {
  const c = ui.config;
  $("dataset").value = c.data;
  $("noise").value = c.noise; $("noise-out").textContent = c.noise;
  $("ratio").value = c.ratio; $("ratio-out").textContent = `${Math.round(c.ratio * 100)}%`;
  $("n").value = c.n; $("n-out").textContent = c.n;
  const known = ui.info.datasets.find((d) => d.name === c.data);
  $("classes-field").hidden = !(known && known.max_classes);
  if (known && known.max_classes) $("classes").max = known.max_classes;
  $("classes").value = c.classes; $("classes-out").textContent = c.classes;
  $("hidden-layers").value = c.data === "tutorial" ? "" : c.hidden.join(",");
  $("hidden-layers").placeholder = c.data === "tutorial" ? "none" : "";
  // the tutorial's network is fixed: its (disabled) controls show what it trains with
  const shown = c.data === "tutorial" ? { ...c, ...TUTORIAL_SETTINGS } : c;
  $("activation").value = shown.activation; $("loss").value = shown.loss; $("optimizer").value = shown.optimizer;
  $("learning-rate").value = shown.learning_rate; $("batch-size").value = shown.batch_size;
  $("l2").value = shown.l2; $("dropout").value = shown.dropout; $("seed").value = c.seed;
  $("epochs").value = c.epochs || "";
  $("remove-layer").disabled = !c.hidden.length || c.data === "tutorial";
  reflectData();
}

/** Change the set-up and build a new network (training from epoch 0, as a new link would). */
function change(update) {
  return queued(async () => {
    const wasRunning = ui.snap && ui.snap.state === "running";
    Object.assign(ui.config, update);
    reflectConfig();
    await rebuild();
    reflectData();
    fillAxes();
    if (wasRunning) await control("play");
  });
}

function changeWidth(index, delta) {
  const hidden = [...ui.config.hidden];
  hidden[index] = Math.max(1, Math.min(256, hidden[index] + delta));
  change({ hidden });
}

async function upload(file) {
  if (!file) return;
  await queued(async () => {
    try {
      const bytes = await file.arrayBuffer();
      const answer = await api("POST", "/api/upload", bytes, { "Content-Type": "text/csv", "X-Filename": file.name });
      ui.csv = answer.csv;
    } finally {
      $("upload").value = ""; // the same file may be chosen again after fixing it
    }
    fillDatasets();
    Object.assign(ui.config, { data: "csv", target: ui.csv.suggested_target || ui.csv.columns[ui.csv.columns.length - 1], x_feature: 0, y_feature: 1 });
    reflectConfig();
    await rebuild();
    reflectData();
    fillAxes();
  });
}

async function think() {
  await queued(async () => {
    const x = [0, 1, 2].map((i) => Number($(`tutorial-input-${i}`).value));
    if (x.some((v) => !Number.isFinite(v))) throw new Error("the new situation needs three numbers, like 1, 0, 0");
    const answer = await api("POST", `/api/session/${ui.session}/predict`, { x: [x] });
    const out = answer.outputs[0][0];
    $("tutorial-answer").textContent = Number.isFinite(out) ? out.toFixed(8) : "—";
  });
}

// ---------------------------------------------------------------- exports
async function download(kind, fallback) {
  await queued(async () => {
    if (!ui.session) throw new Error("nothing to export yet: choose a data set");
    const response = await fetch(`/api/session/${ui.session}/export/${kind}`, { headers: { "X-Glassnet-Token": TOKEN, "X-Glassnet-Page": PAGE } });
    if (!response.ok) {
      const text = await response.text();
      let message = text;
      try { message = JSON.parse(text).error; } catch { /* plain text */ }
      throw new Error(message || `export failed (${response.status})`);
    }
    const blob = await response.blob();
    const said = /filename="?([^";]+)"?/.exec(response.headers.get("Content-Disposition") || "");
    const link = el("a", { href: URL.createObjectURL(blob), download: said ? said[1] : fallback });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 5000);
    if (kind === "command.txt") { $("command-text").hidden = false; $("command-text").textContent = (await blob.text()).trim(); }
    ui.notice = `Saved ${said ? said[1] : fallback} (epoch ${thousands(ui.snap ? ui.snap.epoch : 0)}).`;
  });
}

// ---------------------------------------------------------------- wiring
function onNumber(id, key, { integer = false, min = -Infinity, max = Infinity } = {}) {
  $(id).addEventListener("change", (event) => {
    const raw = event.target.value.trim();
    const value = raw === "" && key === "epochs" ? 0 : Number(raw);
    if (raw === "" && key !== "epochs" || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      ui.error = `${event.target.closest("label").firstChild.textContent.trim().toLowerCase()}: expected ${integer ? "a whole number" : "a number"}${Number.isFinite(min) ? ` ≥ ${min}` : ""}${Number.isFinite(max) ? ` and ≤ ${max}` : ""}, got "${raw}"`;
      event.target.value = ui.config[key] || (key === "epochs" ? "" : 0);
      renderMessage();
      return;
    }
    change({ [key]: value });
  });
}

function wire() {
  $("play").addEventListener("click", () => queued(() => control("play")));
  $("pause").addEventListener("click", () => queued(() => control("pause")));
  $("step").addEventListener("click", () => queued(async () => { await control("step"); ui.glassEpoch = -1; }));
  $("reset").addEventListener("click", () => queued(async () => { await control("reset"); $("tutorial-answer").textContent = "?"; }));
  $("dataset").addEventListener("change", (event) => {
    const data = event.target.value;
    const update = { data, x_feature: 0, y_feature: 1 };
    if (data === "tutorial" && !ui.config.epochs) update.epochs = TUTORIAL_ITERATIONS;
    if (data !== "tutorial" && ui.config.epochs === TUTORIAL_ITERATIONS) update.epochs = 0;
    if (data === "csv" && ui.csv && !ui.config.target) update.target = ui.csv.suggested_target || ui.csv.columns.at(-1);
    change(update);
  });
  for (const [id, key, show] of [["noise", "noise", (v) => v], ["ratio", "ratio", (v) => `${Math.round(v * 100)}%`], ["n", "n", (v) => v], ["classes", "classes", (v) => v]]) {
    $(id).addEventListener("input", (e) => { $(`${id}-out`).textContent = show(Number(e.target.value)); });
    $(id).addEventListener("change", (e) => change({ [key]: Number(e.target.value) }));
  }
  $("hidden-layers").addEventListener("change", (event) => {
    try { change({ hidden: parseHidden(event.target.value) }); } catch (err) { ui.error = err.message; renderMessage(); }
  });
  $("hidden-layers").addEventListener("keydown", (event) => { if (event.key === "Enter") event.target.blur(); });
  $("add-layer").addEventListener("click", () => change({ hidden: [...ui.config.hidden, ui.config.hidden.at(-1) || 4] }));
  $("remove-layer").addEventListener("click", () => change({ hidden: ui.config.hidden.slice(0, -1) }));
  for (const [id, key] of [["activation", "activation"], ["loss", "loss"], ["optimizer", "optimizer"]]) {
    $(id).addEventListener("change", (e) => change({ [key]: e.target.value }));
  }
  onNumber("learning-rate", "learning_rate", { min: 0 });
  onNumber("batch-size", "batch_size", { integer: true, min: 1 });
  onNumber("l2", "l2", { min: 0 });
  onNumber("dropout", "dropout", { min: 0, max: 0.9 });
  onNumber("seed", "seed", { integer: true, min: 0 });
  onNumber("epochs", "epochs", { integer: true, min: 0 });
  $("target").addEventListener("change", (e) => change({ target: e.target.value, x_feature: 0, y_feature: 1 }));
  $("x-feature").addEventListener("change", (e) => change({ x_feature: Number(e.target.value) }));
  $("y-feature").addEventListener("change", (e) => change({ y_feature: Number(e.target.value) }));
  $("upload").addEventListener("change", (e) => upload(e.target.files[0]));
  $("think").addEventListener("click", think);
  $("export-model").addEventListener("click", () => download("model.npz", "model.npz"));
  $("export-code").addEventListener("click", () => download("script.py", "glassnet_playground.py"));
  $("export-command").addEventListener("click", () => download("command.txt", "command.txt"));
  $("copy-link").addEventListener("click", () => queued(async () => {
    if (!navigator.clipboard) { // not a secure context (another host than this machine): say it
      ui.notice = `This link reproduces the set-up: ${location.href}`;
      return;
    }
    await navigator.clipboard.writeText(location.href);
    ui.notice = "Link copied: it reproduces this set-up (with another run of glassnet playground, keep the part from # on).";
  }));
  $("log-scale").addEventListener("change", () => ui.snap && drawCurves(ui.snap.history));
  $("boundary").addEventListener("click", pickPoint);
  $("boundary").addEventListener("mousemove", boundaryTip);
  $("boundary").addEventListener("mouseleave", () => { $("tooltip").hidden = true; });
  window.addEventListener("resize", () => { if (ui.snap) placeLinks(layerSizes(ui.snap)); paintLinks(ui.snap || {}); });
  window.addEventListener("hashchange", () => {
    const config = configFromFragment(location.hash);
    if (fragmentOf(config) !== fragmentOf(ui.config)) { ui.config = config; change({}); }
  });
}

async function start() {
  wire();
  try {
    ui.info = await api("GET", "/api/info");
  } catch (err) {
    ui.error = `cannot reach the glassnet server: ${err.message}`;
    renderMessage();
    return;
  }
  $("version").textContent = `glassnet ${ui.info.version}`;
  const fill = (id, names) => $(id).replaceChildren(...names.map((n) => el("option", { value: n, text: n })));
  fill("activation", ui.info.activations);
  fill("loss", ui.info.losses);
  fill("optimizer", ui.info.optimizers);
  if (ui.info.csv) ui.csv = { rows: NaN, ...ui.info.csv };
  ui.config = configFromFragment(location.hash);
  if (!location.hash && ui.csv) ui.config.data = "csv"; // the file on the command line first
  if (ui.config.data === "csv" && !ui.csv) {
    ui.config.data = DEFAULTS.data;
    ui.notice = "The link names an uploaded CSV file: upload it again to train on it.";
  }
  if (ui.config.data === "csv" && !ui.config.target) ui.config.target = ui.csv.suggested_target || ui.csv.columns.at(-1);
  if (ui.config.data === "tutorial" && !location.hash.includes("epochs=")) ui.config.epochs = TUTORIAL_ITERATIONS;
  fillDatasets();
  reflectConfig();
  await queued(async () => { await rebuild(); reflectData(); fillAxes(); });
}

start();
