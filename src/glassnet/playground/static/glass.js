// glassnet playground: the glass: one neuron's z = Σ w·x + b and activation for one sample.
"use strict";

// ---------------------------------------------------------------- the glass: one neuron, one sample
function selectNeuron(layer, unit) {
  document.querySelectorAll(".node.selected").forEach((n) => n.classList.remove("selected"));
  ui.selected = { layer, unit };
  const node = nodeOf(layer, unit);
  if (node) node.classList.add("selected");
  ui.glassEpoch = -1;
  refreshGlass();
  if (ui.snap) drawBoundary(ui.snap);
}

function clearGlass() {
  ui.selected = null;
  $("glass").replaceChildren(el("p", { class: "hint", text: "Click a neuron to see its weighted sum z = Σ w·x + b and its activation, with the live numbers for one training sample." }));
}

function maybeRefreshGlass(snap) {
  if (!ui.selected) return;
  const running = snap.state === "running";
  if (!running && snap.epoch === ui.glassEpoch) return;
  if (running && performance.now() - ui.glassAt < 400) return; // live, but not a flood
  refreshGlass();
}

async function refreshGlass() {
  if (!ui.selected || !ui.session || ui.glassBusy) return;
  ui.glassBusy = true;
  ui.glassAt = performance.now();
  const asked = { ...ui.selected, sample: ui.sample, session: ui.session, epoch: ui.snap ? ui.snap.epoch : 0 };
  try { // the server counts Dense layers from 0; the drawing counts the inputs as column 0
    const detail = await api("GET", `/api/session/${asked.session}/neuron?layer=${asked.layer - 1}&unit=${asked.unit}&sample=${asked.sample}`);
    const still = ui.selected && ui.selected.layer === asked.layer && ui.selected.unit === asked.unit && ui.sample === asked.sample;
    if (still && ui.session === asked.session) { renderGlass(detail); ui.glassEpoch = asked.epoch; }
  } catch (err) {
    $("glass").replaceChildren(el("p", { class: "hint", text: `This neuron cannot be shown: ${err.message}` }));
  } finally {
    ui.glassBusy = false;
  }
}

function renderGlass(d) {
  const glass = $("glass");
  const layer = d.layer + 1; // the column of the drawing
  const inputs = d.inputs || [];
  const names = inputs.map((_, j) => (layer === 1 ? unitName(0, j) : `a of neuron ${layer - 1}·${j + 1}`));
  const nTrain = (ui.data && ui.data.n_train) || 1;
  const last = layerSizes(ui.snap).length - 1;
  const title = layer === last ? `Output neuron ${d.unit + 1}` : `Layer ${layer} · neuron ${d.unit + 1}`;
  const sample = el("input", { type: "number", min: 0, max: nTrain - 1, step: 1, value: ui.sample, "data-testid": "sample",
    onchange: (e) => chooseSample(Number(e.target.value)) });
  const y = d.sample ? d.sample.y : null;
  const sampleRow = el("div", { class: "sample-row", "data-testid": "detail-sample", "data-sample": JSON.stringify(d.sample) }, "Training sample",
    el("button", { title: "previous sample", onclick: () => chooseSample(ui.sample - 1), text: "◀" }), sample,
    el("button", { title: "next sample", onclick: () => chooseSample(ui.sample + 1), text: "▶" }),
    el("span", { class: "dim", text: `of ${thousands(nTrain)} · x = [${(d.sample ? d.sample.x : []).map((v) => fmt(v, 3)).join(", ")}] · y = ${targetText(y)}` }),
    el("span", { class: "dim", text: "(or click a training point on the map)" }));
  const g = d.gradient; const u = d.update;
  const head = el("tr", {}, el("th", { text: "input" }), el("th", { text: "x" }), el("th", { text: "weight w" }), el("th", { text: "w·x" }),
    g ? el("th", { text: "∂L/∂w" }) : null, u ? el("th", { text: "update Δw" }) : null);
  const rows = inputs.map((x, j) => el("tr", {}, el("td", { text: names[j] }),
    el("td", {}, num(x, 4, `detail-x-${j}`)), el("td", {}, num(d.weights[j], 4, `detail-w-${j}`)),
    el("td", {}, num(x * d.weights[j], 4)),
    g ? el("td", {}, num(g.dw[j], 4, `detail-dw-${j}`)) : null, u ? el("td", {}, num(u.dw[j], 4, `detail-update-w-${j}`)) : null));
  const biasRow = el("tr", {}, el("td", { text: "bias b" }), el("td", { text: "" }), el("td", {}, num(d.bias, 4, "detail-bias")), el("td", {}, num(d.bias, 4)),
    g ? el("td", {}, num(g.db, 4, "detail-db")) : null, u ? el("td", {}, num(u.db, 4, "detail-update-b")) : null);
  const activation = d.activation || "identity";
  const parts = [
    el("h3", {}, title, el("span", { class: "dim", text: `  (${activation})` })),
    sampleRow,
    el("table", {}, head, ...rows, ui.config.data === "tutorial" ? null : biasRow),
    layer === 1 && d.sample && !sameNumbers(d.sample.x, inputs)
      ? el("p", { class: "hint", text: "x: the sample as the network sees it, each input standardized with the training data's mean and spread." }) : null,
    el("div", { class: "eq", "data-testid": "detail-equation", text: d.equation || "" }),
    el("div", { class: "eq" },
      el("span", { class: "big" }, "z = Σ w·x + b = ", num(d.z, 6, "detail-z")), "\n",
      el("span", { class: "big" }, `a = ${activation}(z) = `, num(d.a, 6, "detail-a"))),
  ];
  if (g) {
    parts.push(el("div", { class: "eq" }, "gradient for this sample: ∂L/∂z = ", num(g.dz, 6, "detail-dz"),
      ",  ∂L/∂w = ∂L/∂z · x,  ∂L/∂b = ∂L/∂z", u ? "\nupdate by the optimizer: w ← w + Δw,  b ← b + Δb" : ""));
  } else {
    parts.push(el("p", { class: "hint", text: "Press Step to train one epoch: the glass then shows this neuron's gradient and its update." }));
  }
  glass.replaceChildren(...parts.filter(Boolean));
}

function chooseSample(index) {
  const n = (ui.data && ui.data.n_train) || 1;
  ui.sample = Math.max(0, Math.min(n - 1, Number.isFinite(index) ? Math.round(index) : 0));
  ui.glassEpoch = -1;
  refreshGlass();
  if (ui.snap) drawBoundary(ui.snap);
}

/** A click on the map picks the nearest training point as the glass's sample. */
function pickPoint(event) {
  const heat = ui.snap && ui.snap.heatmap;
  if (!heat || !ui.points || !ui.points.train) return;
  const r = $("boundary").getBoundingClientRect();
  const { left, top, size } = PLOT;
  const x = lerp(heat.x_range, (event.clientX - r.left - left) / size);
  const y = lerp(heat.y_range, 1 - (event.clientY - r.top - top) / size);
  let best = 0; let bestDistance = Infinity;
  ui.points.train.forEach(([px, py], i) => {
    const distance = (px - x) ** 2 + (py - y) ** 2;
    if (distance < bestDistance) { best = i; bestDistance = distance; }
  });
  if (!ui.selected) {
    const sizes = layerSizes(ui.snap);
    ui.selected = { layer: sizes.length - 1, unit: 0 };
    selectNeuron(ui.selected.layer, 0);
  }
  chooseSample(best);
}

const sameNumbers = (a, b) => a.length === b.length && a.every((v, i) => Math.abs(v - b[i]) < 1e-12);

/** The sample's target as read: a class by its name, a value as a number. */
function targetText(y) {
  const values = Array.isArray(y) ? y : [y];
  const classes = ui.data && ui.data.classes;
  if (classes && values.length === 1 && classes[values[0]] !== undefined && ui.config.data !== "tutorial") return String(classes[values[0]]);
  return values.map((v) => fmt(v, 4)).join(", ");
}
