// glassnet playground: drawing a snapshot: the network with its links, the output's map with
// the points, the loss curves and the confusion matrix (canvas and SVG, no library).
"use strict";

// ---------------------------------------------------------------- the network drawing
const featureNames = () => (ui.data && ui.data.features) || [];

function layerSizes(snap) {
  const weights = snap.weights || [];
  if (!weights.length) return [];
  return [weights[0][0].length, ...weights.map((w) => w.length)];
}

function renderNetwork(snap) {
  const sizes = layerSizes(snap);
  const key = JSON.stringify([sizes, featureNames(), ui.data && ui.data.classes, ui.config.data]);
  if (key !== ui.structure) { ui.structure = key; buildNetwork(sizes); }
  paintNeurons(snap);
  paintLinks(snap);
}

function buildNetwork(sizes) {
  const columns = $("columns-net");
  columns.replaceChildren();
  const names = featureNames();
  const classes = (ui.data && ui.data.classes) || null;
  const tutorial = ui.config.data === "tutorial";
  sizes.forEach((size, layer) => {
    const last = layer === sizes.length - 1;
    const hidden = layer > 0 && !last;
    const head = el("div", { class: "col-head" });
    if (layer === 0) head.append(el("div", { text: size === 1 ? "1 input" : `${size} inputs` }));
    else if (last) head.append(el("div", { text: tutorial ? "the neuron" : "Output" }), el("div", { class: "dim", text: outputLabel() }));
    else {
      head.append(el("div", { text: `Layer ${layer}` }), el("div", { class: "dim", text: `${size} neuron${size === 1 ? "" : "s"}` }));
      head.append(el("div", { class: "units" },
        el("button", { title: "one more neuron", "data-testid": `add-neuron-${layer}`, onclick: () => changeWidth(layer - 1, +1), text: "+" }),
        el("button", { title: "one neuron fewer", "data-testid": `remove-neuron-${layer}`, onclick: () => changeWidth(layer - 1, -1), text: "−" })));
    }
    const body = el("div", { class: "col-body" });
    for (let unit = 0; unit < size; unit++) {
      if (layer === 0) {
        const twoD = size === 2;
        const name = names[unit] || `x${sub(unit + 1)}`;
        body.append(el("div", { class: "in-row" }, el("span", { class: "in-name", title: name, text: name }),
          el("div", { class: "node input" + (twoD ? "" : " dot"), "data-testid": `input-${unit}`,
            "data-layer": 0, "data-unit": unit, title: name }, twoD ? el("canvas", { width: 16, height: 16 }) : null)));
      } else {
        const label = last ? outputName(unit, classes) : `neuron ${layer}·${unit + 1}`;
        const node = el("button", { class: "node" + (last ? " output" : "") + (tutorial ? " neuron-circle" : ""), "data-testid": `neuron-${layer - 1}-${unit}`,
          "data-layer": layer, "data-unit": unit, title: `${label}: click to look inside`,
          onclick: () => selectNeuron(layer, unit) }, el("canvas", { width: 16, height: 16 }));
        const named = last && ((classes && size > 1) || tutorial);
        body.append(named ? el("div", { class: "out-row" }, node, el("span", { class: "in-name", text: tutorial ? "output" : label })) : node);
      }
    }
    const column = el("div", { class: "col" + (size > 12 ? " compact" : "") + (hidden ? " hidden-layer" : "") + (layer === 0 ? " inputs" : "") + (last ? " outputs" : "") }, head, body);
    columns.append(column);
  });
  if (ui.selected) {
    const node = nodeOf(ui.selected.layer, ui.selected.unit);
    if (node) node.classList.add("selected"); else clearGlass();
  }
  placeLinks(sizes);
}

function outputLabel() {
  const data = ui.data;
  if (!data) return "";
  if (ui.config.data === "tutorial") return "sigmoid";
  if (data.task === "regression") return "a value";
  return data.classes ? `${data.classes.length} classes` : "";
}

function outputName(unit, classes) {
  const sizes = ui.snap ? layerSizes(ui.snap) : [];
  if (classes && sizes[sizes.length - 1] > 1) return `class ${classes[unit]}`;
  if (classes && classes.length === 2) return `P(${classes[1]})`;
  return "output";
}

const nodeOf = (layer, unit) => document.querySelector(`#columns-net [data-layer="${layer}"][data-unit="${unit}"]`);

/** Lay the links out once per structure: a wire and a wider invisible path to hover. */
function placeLinks(sizes) {
  const svg = $("links");
  svg.replaceChildren();
  const box = $("net").getBoundingClientRect();
  const columns = $("columns-net");
  svg.setAttribute("width", columns.scrollWidth);
  svg.setAttribute("height", columns.scrollHeight);
  const ns = "http://www.w3.org/2000/svg";
  const centre = (node, side) => {
    const r = node.getBoundingClientRect();
    return [(side ? r.right : r.left) - box.left + $("net").scrollLeft, r.top + r.height / 2 - box.top];
  };
  for (let k = 0; k + 1 < sizes.length; k++) {
    for (let o = 0; o < sizes[k + 1]; o++) {
      const to = nodeOf(k + 1, o);
      for (let i = 0; i < sizes[k]; i++) {
        const from = nodeOf(k, i);
        if (!from || !to) continue;
        const [x1, y1] = centre(from, true);
        const [x2, y2] = centre(to, false);
        const mid = (x1 + x2) / 2;
        const d = `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}`;
        const wire = document.createElementNS(ns, "path");
        wire.setAttribute("d", d);
        wire.setAttribute("class", "wire");
        wire.id = `w-${k}-${o}-${i}`;
        const hit = document.createElementNS(ns, "path");
        hit.setAttribute("d", d);
        hit.setAttribute("class", "hit");
        hit.addEventListener("mousemove", (event) => { ui.hover = { k, o, i, x: event.clientX, y: event.clientY }; showLinkTip(); });
        hit.addEventListener("mouseleave", () => { ui.hover = null; $("tooltip").hidden = true; });
        svg.append(wire, hit);
      }
    }
  }
}

function paintLinks(snap) {
  const weights = snap.weights || [];
  weights.forEach((matrix, k) => matrix.forEach((row, o) => row.forEach((w, i) => {
    const wire = document.getElementById(`w-${k}-${o}-${i}`);
    if (!wire) return;
    const size = Number.isFinite(w) ? Math.min(Math.abs(w), 3) : 0;
    wire.setAttribute("stroke", css(w < 0 ? NEG : POS, 0.35 + 0.55 * Math.min(size, 1)));
    wire.setAttribute("stroke-width", (0.6 + 2.2 * size).toFixed(2));
  })));
  if (ui.hover) showLinkTip();
}

function unitName(layer, unit) {
  if (layer === 0) return featureNames()[unit] || `x${sub(unit + 1)}`;
  return `neuron ${layer}·${unit + 1}`;
}

/** The weight under the cursor, read again from every snapshot: it changes as it trains. */
function showLinkTip() {
  const { k, o, i, x, y } = ui.hover;
  const weights = ui.snap && ui.snap.weights;
  const w = weights && weights[k] && weights[k][o] ? weights[k][o][i] : NaN;
  const tip = $("tooltip");
  tip.replaceChildren(`weight ${unitName(k, i)} → ${unitName(k + 1, o)} = `, el("b", { text: fmt(w, 5) }));
  placeTip(x, y);
}

/** Beside the cursor, on the side where it fits in the window. */
function placeTip(x, y) {
  const tip = $("tooltip");
  tip.hidden = false;
  const width = tip.offsetWidth;
  tip.style.left = `${x + 14 + width > window.innerWidth ? x - 14 - width : x + 14}px`;
  tip.style.top = `${y + 12}px`;
}

function paintNeurons(snap) {
  const heat = snap.heatmap;
  const sizes = layerSizes(snap);
  if (sizes[0] === 2 && heat) { // each input's own map: the feature itself over the plane
    const scale = (range) => Math.max(Math.abs(range[0]), Math.abs(range[1])) || 1;
    paintSmall(nodeOf(0, 0), 16, (r, c) => lerp(heat.x_range, c / 15) / scale(heat.x_range));
    paintSmall(nodeOf(0, 1), 16, (r) => lerp(heat.y_range, 1 - r / 15) / scale(heat.y_range));
  }
  (snap.neurons || []).forEach((layer, l) => layer.forEach((neuron, u) => {
    const values = neuron.values || [];
    const n = Math.round(Math.sqrt(values.length));
    paintSmall(nodeOf(l + 1, u), n, (r, c) => values[r * n + c]);
  }));
  const last = sizes.length - 1;
  if (!heat || last < 1) return;
  const n = heat.size;
  if (sizes[last] === 1) { paintSmall(nodeOf(last, 0), n, (r, c) => outputShade(heat, r * n + c), true); return; }
  const k = sizes[last]; // one output per class: where each class wins, and how surely
  for (let u = 0; u < k; u++) {
    paintSmall(nodeOf(last, u), n, (r, c) => {
      const at = r * n + c;
      const [cls, p] = k === 2 ? [heat.values[at] >= 0.5 ? 1 : 0, Math.max(heat.values[at], 1 - heat.values[at])] : decodeClass(heat, at, k);
      return cls === u ? mix(WHITE, classColour(u, k), 0.2 + 0.75 * Math.max(0, (p - 1 / k) / (1 - 1 / k))) : WHITE;
    }, true);
  }
}

const lerp = (range, t) => range[0] + (range[1] - range[0]) * t;

/** Fill a node's canvas from value(row, column): numbers through the diverging scale, or RGB. */
function paintSmall(node, n, value, rgb = false) {
  const canvas = node && node.querySelector("canvas");
  if (!canvas || !n) return;
  if (canvas.width !== n) { canvas.width = n; canvas.height = n; }
  const ctx = canvas.getContext("2d");
  const image = ctx.createImageData(n, n);
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      const v = value(r, c);
      const colour = rgb ? v : diverging(v);
      const at = 4 * (r * n + c);
      image.data[at] = colour[0]; image.data[at + 1] = colour[1]; image.data[at + 2] = colour[2]; image.data[at + 3] = 255;
    }
  }
  ctx.putImageData(image, 0, 0);
}

// ---------------------------------------------------------------- the output: boundary, curves, confusion
const PLOT = { left: 46, top: 10, size: 272 };

function regressionRange() {
  const all = ui.points ? [...ui.points.train, ...ui.points.test].map((p) => p[2]) : [];
  const finite = all.filter(Number.isFinite);
  if (!finite.length) return [-1, 1];
  return [Math.min(...finite), Math.max(...finite)];
}

/** The heatmap's value at `at` as a colour: P(second class), a class and its confidence, or a value. */
function outputShade(heat, at) {
  const v = heat.values[at];
  const data = ui.data;
  if (!Number.isFinite(v)) return [200, 200, 200];
  if (!data || data.task === "regression" || ui.config.data === "tutorial") {
    const [lo, hi] = ui.config.data === "tutorial" ? [0, 1] : regressionRange();
    return diverging(hi > lo ? (2 * (v - lo)) / (hi - lo) - 1 : 0);
  }
  const k = (data.classes || []).length;
  if (k <= 2) return diverging(2 * v - 1);
  const [cls, confidence] = decodeClass(heat, at, k);
  const strength = Math.max(0, (confidence - 1 / k) / (1 - 1 / k));
  return mix(WHITE, classColour(cls, k), 0.15 + 0.7 * strength);
}

/** With several classes, the heatmap holds the winning class and, beside it, its probability. */
function decodeClass(heat, at, k) {
  const cls = Math.min(k - 1, Math.max(0, Math.round(heat.values[at])));
  const confidence = heat.confidence ? heat.confidence[at] : 1;
  return [cls, Number.isFinite(confidence) ? confidence : 1 / k];
}

function pointColour(label) {
  const data = ui.data;
  if (data && data.task === "classification" && data.classes) return classColour(label, data.classes.length);
  const [lo, hi] = regressionRange();
  return diverging(hi > lo ? (2 * (label - lo)) / (hi - lo) - 1 : 0);
}

function setupCanvas(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = Number(canvas.dataset.w || canvas.width);
  const height = Number(canvas.dataset.h || canvas.height);
  if (!canvas.dataset.w) {
    canvas.dataset.w = width; canvas.dataset.h = height;
    canvas.style.width = `${width}px`; canvas.style.height = `${height}px`;
  }
  canvas.width = width * ratio; canvas.height = height * ratio;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  return [ctx, width, height];
}

function drawBoundary(snap) {
  const canvas = $("boundary");
  const [ctx, width, height] = setupCanvas(canvas);
  ctx.clearRect(0, 0, width, height);
  const heat = snap.heatmap;
  const { left, top, size } = PLOT;
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#6b7785";
  if (!heat) {
    ctx.fillText(ui.config.data === "tutorial" ? "The tutorial's neuron has 3 inputs:" : "No map for this data.", left, top + 20);
    if (ui.config.data === "tutorial") ctx.fillText("ask it below, as the tutorial does.", left, top + 38);
    $("boundary-legend").replaceChildren();
    return;
  }
  const grid = document.createElement("canvas");
  grid.width = heat.size; grid.height = heat.size;
  const gctx = grid.getContext("2d");
  const image = gctx.createImageData(heat.size, heat.size);
  heat.values.forEach((v, at) => {
    const colour = outputShade(heat, at);
    image.data.set([colour[0], colour[1], colour[2], 255], 4 * at);
  });
  gctx.putImageData(image, 0, 0);
  ctx.imageSmoothingEnabled = true;
  ctx.drawImage(grid, left, top, size, size);
  const px = (x) => left + ((x - heat.x_range[0]) / (heat.x_range[1] - heat.x_range[0])) * size;
  const py = (y) => top + (1 - (y - heat.y_range[0]) / (heat.y_range[1] - heat.y_range[0])) * size;
  if (ui.points) {
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, size, size); ctx.clip();
    for (const [which, ring] of [["train", "#fff"], ["test", "#1f2933"]]) {
      for (const [x, y, label] of ui.points[which] || []) {
        ctx.beginPath();
        ctx.arc(px(x), py(y), 3.3, 0, 2 * Math.PI);
        ctx.fillStyle = css(pointColour(label));
        ctx.fill();
        ctx.lineWidth = which === "test" ? 1.4 : 1;
        ctx.strokeStyle = ring;
        ctx.stroke();
      }
    }
    const chosen = ui.points.train && ui.points.train[ui.sample];
    if (ui.selected && chosen) { // the sample the glass shows
      ctx.beginPath(); ctx.arc(px(chosen[0]), py(chosen[1]), 7, 0, 2 * Math.PI);
      ctx.lineWidth = 2.2; ctx.strokeStyle = "#1f2933"; ctx.stroke();
    }
    ctx.restore();
  }
  ctx.strokeStyle = "#adb5bd"; ctx.lineWidth = 1;
  ctx.strokeRect(left + 0.5, top + 0.5, size - 1, size - 1);
  drawAxes(ctx, heat.x_range, heat.y_range, px, py);
  renderBoundaryLegend();
}

function axisNames() {
  const heat = ui.snap && ui.snap.heatmap;
  if (heat && heat.features) return heat.features;
  const names = featureNames();
  return [names[ui.config.x_feature] || "x₁", names[ui.config.y_feature] || "x₂"];
}

function drawAxes(ctx, xRange, yRange, px, py) {
  const { left, top, size } = PLOT;
  const [xName, yName] = axisNames();
  ctx.fillStyle = "#495057"; ctx.strokeStyle = "#868e96";
  ctx.font = "11px system-ui, sans-serif";
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (const t of ticks(xRange[0], xRange[1], 5)) {
    ctx.beginPath(); ctx.moveTo(px(t), top + size); ctx.lineTo(px(t), top + size + 4); ctx.stroke();
    ctx.fillText(fmt(t, 3), px(t), top + size + 6);
  }
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const t of ticks(yRange[0], yRange[1], 5)) {
    ctx.beginPath(); ctx.moveTo(left - 4, py(t)); ctx.lineTo(left, py(t)); ctx.stroke();
    ctx.fillText(fmt(t, 3), left - 6, py(t));
  }
  ctx.font = "12px system-ui, sans-serif"; ctx.fillStyle = "#1f2933";
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  ctx.fillText(xName, left + size / 2, top + size + 22);
  ctx.save();
  ctx.translate(11, top + size / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle"; ctx.fillText(yName, 0, 0);
  ctx.restore();
}

/** Round tick values covering [lo, hi]: steps of 1, 2 or 5 times a power of ten. */
function ticks(lo, hi, count) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return out;
}

function renderBoundaryLegend() {
  const box = $("boundary-legend");
  const data = ui.data;
  const items = [];
  if (data && data.task === "classification" && data.classes) {
    const k = data.classes.length;
    data.classes.forEach((name, i) => items.push(el("span", {}, el("i", { class: "swatch dot", style: `background:${css(classColour(i, k))}` }), `class ${name}`)));
    if (k === 2) {
      items.push(el("span", {}, `P(${data.classes[1]}):  0`, el("i", { class: "colorbar", style: `background:linear-gradient(90deg, ${css(NEG)}, #fff, ${css(POS)})` }), "1"));
    } else items.push(el("span", { class: "dim", text: "background: the winning class, paler where it is less sure" }));
  } else {
    const [lo, hi] = regressionRange();
    items.push(el("span", {}, `value: ${fmt(lo, 3)}`, el("i", { class: "colorbar", style: `background:linear-gradient(90deg, ${css(NEG)}, #fff, ${css(POS)})` }), fmt(hi, 3)));
  }
  items.push(el("span", {}, el("i", { class: "swatch dot", style: "background:#adb5bd;border:1px solid #fff" }), "training"),
    el("span", {}, el("i", { class: "swatch ring" }), "test"));
  box.replaceChildren(...items);
}

function drawCurves(history) {
  const canvas = $("curves");
  const [ctx, width, height] = setupCanvas(canvas);
  ctx.clearRect(0, 0, width, height);
  const box = { left: 46, top: 8, right: width - 22, bottom: height - 34 };
  const log = $("log-scale").checked;
  const epochs = (history && history.epochs) || [];
  const series = [[history && history.train_loss, "#343a40", []], [history && history.test_loss, "#7048e8", [5, 4]]];
  const shown = (v) => (log ? (v > 0 ? Math.log10(v) : NaN) : v);
  const values = series.flatMap(([ys]) => (ys || []).map(shown)).filter(Number.isFinite);
  ctx.strokeStyle = "#ced4da"; ctx.lineWidth = 1;
  ctx.strokeRect(box.left + 0.5, box.top + 0.5, box.right - box.left, box.bottom - box.top);
  ctx.font = "11px system-ui, sans-serif"; ctx.fillStyle = "#495057";
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  ctx.fillText("epoch", (box.left + box.right) / 2, box.bottom + 18);
  ctx.save(); ctx.translate(10, (box.top + box.bottom) / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = "middle"; ctx.fillText(log ? "loss (log scale)" : "loss", 0, 0); ctx.restore();
  if (!epochs.length || !values.length) {
    ctx.fillStyle = "#868e96"; ctx.fillText("press Play or Step to train", (box.left + box.right) / 2, (box.top + box.bottom) / 2 - 6);
    return;
  }
  const x0 = 0; const x1 = Math.max(epochs[epochs.length - 1], 1);
  let y0 = log ? Math.min(...values) : 0; let y1 = Math.max(...values);
  if (!(y1 > y0)) { y1 = y0 + (log ? 1 : Math.abs(y0) || 1); }
  const px = (x) => box.left + ((x - x0) / (x1 - x0)) * (box.right - box.left);
  const py = (y) => box.bottom - ((y - y0) / (y1 - y0)) * (box.bottom - box.top);
  ctx.textBaseline = "top";
  for (const t of ticks(x0, x1, 5).filter((t) => Number.isInteger(t))) ctx.fillText(thousands(t), px(t), box.bottom + 3);
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (const t of ticks(y0, y1, 4)) ctx.fillText(log ? fmt(10 ** t, 2) : fmt(t, 3), box.left - 4, py(t));
  for (const [ys, colour, dash] of series) {
    if (!ys) continue;
    ctx.beginPath(); ctx.setLineDash(dash); ctx.strokeStyle = colour; ctx.lineWidth = 1.8;
    let open = false;
    ys.forEach((y, j) => {
      const v = shown(y);
      if (!Number.isFinite(v)) { open = false; return; } // never draw a NaN
      if (open) ctx.lineTo(px(epochs[j]), py(v)); else ctx.moveTo(px(epochs[j]), py(v));
      open = true;
    });
    ctx.stroke();
  }
  ctx.setLineDash([]);
}

function renderConfusion(matrix) {
  const box = $("confusion-box");
  const classes = (ui.data && ui.data.classes) || [];
  if (!matrix || !matrix.length) { box.hidden = true; return; }
  box.hidden = false;
  $("confusion-rows").textContent = ui.data && ui.data.n_test ? "(test data)" : "(training data: there is no test data)";
  const biggest = Math.max(1, ...matrix.flat());
  const head = el("tr", {}, el("th", { text: "true ↓  predicted →" }), classes.map((c) => el("th", { text: String(c) })));
  const rows = matrix.map((row, t) => el("tr", {}, el("th", { text: String(classes[t] ?? t) }),
    row.map((count, p) => {
      const tone = t === p ? POS : NEG;
      const strength = count / biggest;
      return el("td", { style: `background:${css(mix(WHITE, tone, 0.85 * strength))};color:${strength > 0.55 ? "#fff" : "#1f2933"}`, text: String(count) });
    })));
  $("confusion").replaceChildren(head, ...rows);
}

/** The output under the cursor, read from the heatmap. */
function boundaryTip(event) {
  const heat = ui.snap && ui.snap.heatmap;
  const tip = $("tooltip");
  if (!heat) { tip.hidden = true; return; }
  const r = $("boundary").getBoundingClientRect();
  const { left, top, size } = PLOT;
  const fx = (event.clientX - r.left - left) / size;
  const fy = (event.clientY - r.top - top) / size;
  if (fx < 0 || fx > 1 || fy < 0 || fy > 1) { tip.hidden = true; return; }
  const at = Math.min(heat.size - 1, Math.floor(fy * heat.size)) * heat.size + Math.min(heat.size - 1, Math.floor(fx * heat.size));
  const v = heat.values[at];
  const classes = ui.data && ui.data.classes;
  let said = `output ${fmt(v, 4)}`;
  if (classes && classes.length === 2) said = `P(${classes[1]}) = ${fmt(v, 3)}`;
  else if (classes && classes.length > 2) {
    const [c, p] = decodeClass(heat, at, classes.length);
    said = `class ${classes[c]} (${fmt(100 * p, 3)}% sure)`;
  }
  const [xName, yName] = axisNames();
  tip.replaceChildren(`${xName} = ${fmt(lerp(heat.x_range, fx), 3)}, ${yName} = ${fmt(lerp(heat.y_range, 1 - fy), 3)} → `, el("b", { text: said }));
  placeTip(event.clientX, event.clientY);
}
