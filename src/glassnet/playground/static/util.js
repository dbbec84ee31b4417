// glassnet playground: the helpers every script of the page uses (loaded first).
"use strict";

// ---------------------------------------------------------------- small helpers
const $ = (id) => document.getElementById(id);
const TOKEN = document.querySelector('meta[name="glassnet-token"]').content;
const PAGE = (crypto.randomUUID ? crypto.randomUUID() : String(Math.random()).slice(2));
const SUB = "₀₁₂₃₄₅₆₇₈₉";
const SUP = { "-": "⁻", 0: "⁰", 1: "¹", 2: "²", 3: "³", 4: "⁴", 5: "⁵", 6: "⁶", 7: "⁷", 8: "⁸", 9: "⁹" };
const sub = (n) => String(n).split("").map((d) => SUB[+d] ?? d).join("");

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

/** A number for reading: 4 significant digits (more for tiny or huge ones), never "NaN". */
function fmt(value, digits = 4) {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (value === 0) return "0";
  const size = Math.abs(value);
  if (size >= 1e5 || size < 1e-4) { // 2.051×10⁻¹²: as a learner writes it
    const [mantissa, exponent] = value.toExponential(digits - 1).split("e");
    return `${Number(mantissa)}×10${exponent.replace("+", "").split("").map((c) => SUP[c]).join("")}`;
  }
  return String(Number(value.toPrecision(digits)));
}

/** A number element keeping the exact value (for copying and for tests) beside the rounded one. */
function num(value, digits = 4, testid = undefined) {
  const shown = fmt(value, digits);
  const cls = "num" + (value < 0 ? " neg-num" : value > 0 ? " pos-num" : "");
  return el("span", { class: cls, "data-value": String(value), title: String(value),
    "data-testid": testid, text: shown });
}

const thousands = (n) => Number(n).toLocaleString("en-US");

// ---------------------------------------------------------------- colours
const NEG = [245, 147, 34];
const POS = [8, 119, 189];
const WHITE = [255, 255, 255];
const CLASS_COLOURS = ["#f59322", "#0877bd", "#2b8a3e", "#c2255c", "#7048e8", "#e8590c",
  "#1098ad", "#5c940d", "#862e9c", "#495057"];
const rgbOf = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const mix = (a, b, t) => a.map((v, i) => Math.round(v + (b[i] - v) * t));

/** Orange (−1) through white (0) to blue (+1); grey for a value that is not a number. */
function diverging(v) {
  if (!Number.isFinite(v)) return [200, 200, 200];
  const t = Math.max(-1, Math.min(1, v));
  return t < 0 ? mix(WHITE, NEG, -t) : mix(WHITE, POS, t);
}
const classColour = (k, n) => (n <= 2 ? (k ? POS : NEG) : rgbOf(CLASS_COLOURS[k % CLASS_COLOURS.length]));
const css = (rgb, alpha = 1) => `rgba(${rgb[0]},${rgb[1]},${rgb[2]},${alpha})`;

