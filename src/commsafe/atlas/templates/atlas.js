/* Community safety atlas: the page script, inlined by commsafe.atlas.page.

   It reads the payload from the JSON script element "atlas-data" and draws the
   map, the ranked chart, the area panel, the victim/offender pyramids and the data table.

   Rules this script keeps:
   * It computes no statistics. Values, ranks, changes and significance words come from the
     payload; the script only formats, colours (quintile class breaks of the values shown),
     sorts, and, for the pyramid "shares" view, divides a bar by its pyramid's total.
   * Every string from the payload is rendered as text (textContent, createTextNode,
     setAttribute), never as markup.
   * It makes no network request: no fetch, no images, no fonts.
   * Map paths, chart bars and table rows are built once per level; switching indicator,
     measure or period only changes fills, texts, widths and order.
   Performance marks: "atlas-map-drawn" (once, first map), "atlas-switch-start" and
   "atlas-switch-done" around every change of a control. */
(function () {
  "use strict";

  // ------------------------------------------------------------------ constants and data

  const DATA = JSON.parse(document.getElementById("atlas-data").textContent);
  const SVG_NS = "http://www.w3.org/2000/svg";

  /** Sequential palette, viridis-like, light = low (colour-blind safe). */
  const SEQUENTIAL = ["#fde725", "#5ec962", "#21918c", "#3b528b", "#440154"];
  /** Diverging palette for % change (ColorBrewer PuOr): purples fall, oranges rise. */
  const DIVERGING_FALL = ["#542788", "#998ec3", "#d8daeb"]; // largest fall first
  const DIVERGING_RISE = ["#fee0b6", "#f1a340", "#b35806"]; // smallest rise first
  const CLASSES = 5;
  const HATCH_ID = "atlas-hatch";
  const NO_VALUE_FILL = "url(#" + HATCH_ID + ")";
  const LEVEL_ORDER = ["ward", "lsoa"];
  const VIEWS = ["map", "chart", "pyramid"];
  const SEXES = ["male", "female"];
  const SIDES = [["victims", "Victims"], ["offenders", "Offenders"]];
  const DASH = "\u2013"; // shown for "no value" (empty in the CSV)
  const MAX_ZOOM = 60;
  /** With more areas than this, the data table is updated just after the map has been
   *  repainted (laying out thousands of table rows takes longer than recolouring the map). */
  const DEFER_TABLE_AT = 1000;

  const INT = new Intl.NumberFormat("en-GB", { maximumFractionDigits: 0 });
  const ONE_DP = new Intl.NumberFormat("en-GB", {
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  });
  const COLLATOR = new Intl.Collator("en-GB", { numeric: true, sensitivity: "base" });
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
    "Dec"];

  const levelIds = LEVEL_ORDER.filter((id) => id in DATA.levels).concat(
    Object.keys(DATA.levels).filter((id) => !LEVEL_ORDER.includes(id)).sort());
  const indicatorById = new Map(DATA.indicators.map((x) => [String(x.id), x]));
  const measureById = new Map(DATA.measures.map((x) => [String(x.id), x]));
  const periodById = new Map(DATA.periods.map((x) => [String(x.id), x]));

  // ------------------------------------------------------------------ DOM helpers

  const $ = (id) => document.getElementById(id);

  /** An HTML element with attributes and (optional) text content; never parses markup. */
  function h(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) for (const k in attrs) if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    if (text != null) node.textContent = text;
    return node;
  }

  /** An SVG element with attributes. */
  function s(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    if (attrs) for (const k in attrs) if (attrs[k] != null) node.setAttribute(k, attrs[k]);
    return node;
  }

  /** An SVG <title> (tooltip text) as a child of `node`. */
  function svgTitle(node, text) {
    const t = s("title");
    t.textContent = text;
    node.appendChild(t);
    return node;
  }

  // ------------------------------------------------------------------ formatting

  const isNum = (v) => typeof v === "number" && Number.isFinite(v);

  /** A value of `measure` without its unit: "1,234", "350.9", "+12%". */
  function fmt(measure, v) {
    if (!isNum(v)) return DASH;
    if (measure === "rate") return ONE_DP.format(v);
    if (measure === "change") return (v > 0 ? "+" : "") + INT.format(v) + "%";
    return INT.format(v);
  }

  /** A value with its unit: "350.9 per 1,000", "+12%", "412 crimes". */
  function fmtUnit(measure, v) {
    const text = fmt(measure, v);
    if (measure === "change" || !isNum(v)) return text;
    const m = measureById.get(measure);
    const unit = m && m.unit ? String(m.unit) : "";
    if (!unit) return text;
    return unit.startsWith("%") ? text + unit : text + " " + unit;
  }

  const measureLabel = (id) => (measureById.has(id) ? String(measureById.get(id).label) : id);

  /** "2024-03" as "Mar 2024". */
  function monthLabel(ym) {
    const m = /^(\d{4})-(\d{2})/.exec(String(ym));
    return m ? MONTHS[Number(m[2]) - 1] + " " + m[1] : String(ym);
  }

  /** A round number at or above `x` (1, 2, 2.5, 5 × 10^k) for axes. */
  function niceCeil(x) {
    if (!(x > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(x)));
    for (const f of [1, 2, 2.5, 5, 10]) if (f * p >= x - 1e-9) return f * p;
    return 10 * p;
  }

  // ------------------------------------------------------------------ state

  const state = {
    level: levelIds[0],
    indicator: String(DATA.indicators[0].id),
    measure: measureById.has("rate") ? "rate" : String(DATA.measures[0].id),
    period: String(DATA.periods[DATA.periods.length - 1].id),
    area: null, // selected area code
    view: "map",
  };
  const DEFAULTS = Object.assign({}, state);
  const sort = { key: "name", dir: "ascending" };

  /** What the current render shows; set by render(). */
  let cur = null;
  let chartDirty = true;
  let tableReady = false;
  let tablePending = false;
  let mapDrawnMarked = false;
  let lastHash = null;

  // ------------------------------------------------------------------ per-level views

  /** Map paths (and, lazily, chart bars and table rows) for one level, built once. */
  const levelCache = new Map();

  function levelView(level) {
    let lv = levelCache.get(level);
    if (lv) return lv;
    const spec = DATA.levels[level];
    const areas = spec.areas;
    const n = areas.length;
    const group = s("g", { class: "areas" });
    const paths = new Array(n);
    for (let i = 0; i < n; i++) {
      const a = areas[i];
      const p = s("path", {
        d: a.path || "M0 0",
        id: "area-" + level + "-" + i,
        "data-code": a.code,
        "data-i": i,
        tabindex: "0",
        role: "button",
        "aria-pressed": "false",
      });
      paths[i] = p;
      group.appendChild(p);
    }
    lv = {
      level: level,
      spec: spec,
      areas: areas,
      n: n,
      index: new Map(areas.map((a, i) => [String(a.code), i])),
      group: group,
      paths: paths,
      fills: new Array(n).fill(null),
      labels: new Array(n).fill(null),
      bars: null, // built by buildBars on first chart view
      rows: null, // built by buildRows
      order: null, // current table order (area indexes)
      orderKey: null, // the sort it was made for
      barOrder: null,
    };
    levelCache.set(level, lv);
    return lv;
  }

  // ------------------------------------------------------------------ class breaks

  /** Up to `k` quantile classes of the sorted values `xs` → [{min, max, n}]. */
  function quantileClasses(xs, k) {
    const out = [];
    if (!xs.length) return out;
    const uppers = [];
    for (let j = 1; j <= k; j++) {
      const idx = Math.min(xs.length - 1, Math.max(0, Math.ceil((j * xs.length) / k) - 1));
      const u = xs[idx];
      if (!uppers.length || u > uppers[uppers.length - 1]) uppers.push(u);
    }
    let p = 0;
    for (const u of uppers) {
      const start = p;
      while (p < xs.length && xs[p] <= u) p++;
      out.push({ min: xs[start], max: u, n: p - start });
    }
    return out;
  }

  /** `k` colours spread evenly over `palette` (its middle when k is 1). */
  function spread(palette, k) {
    if (k >= palette.length) return palette.slice(0, k);
    if (k === 1) return [palette[Math.floor(palette.length / 2)]];
    const out = [];
    for (let j = 0; j < k; j++) out.push(palette[Math.round((j * (palette.length - 1)) / (k - 1))]);
    return out;
  }

  /** Classes of the values shown: quintiles on the sequential palette, or for % change
   *  up to three quantile classes each side of 0 on the diverging palette. */
  function classify(values, diverging) {
    const xs = [];
    for (const v of values) if (isNum(v)) xs.push(v);
    xs.sort((a, b) => a - b);
    let list;
    if (diverging) {
      const falls = xs.filter((v) => v < 0);
      const rises = xs.filter((v) => v >= 0);
      const fc = quantileClasses(falls, 3);
      const rc = quantileClasses(rises, 3);
      const fcol = spread(DIVERGING_FALL, fc.length);
      const rcol = spread(DIVERGING_RISE, rc.length);
      fc.forEach((c, j) => (c.colour = fcol[j]));
      rc.forEach((c, j) => (c.colour = rcol[j]));
      list = fc.concat(rc);
    } else {
      list = quantileClasses(xs, CLASSES);
      const col = spread(SEQUENTIAL, list.length);
      list.forEach((c, j) => (c.colour = col[j]));
    }
    const classOf = new Int8Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      classOf[i] = -1;
      if (!isNum(v)) continue;
      for (let j = 0; j < list.length; j++) {
        if (v <= list[j].max) {
          classOf[i] = j;
          break;
        }
      }
    }
    return { list: list, classOf: classOf, missing: values.length - xs.length };
  }

  // ------------------------------------------------------------------ current values

  /** The payload block for level × indicator × period. */
  const block = (level, indicator, period) => DATA.values[level][indicator][period];

  /** The mark ("<5", "[c]") of area `i` in `V`, or null. */
  const markOf = (V, i) => (V.marks && V.marks[String(i)] != null ? String(V.marks[String(i)]) : null);

  const rankTotal = (V) => V.rank.reduce((n, r) => n + (isNum(r) ? 1 : 0), 0);

  /** Display text of area `i`'s value of `measure` in `V`: number, mark, or a dash. */
  function cellText(V, measure, i) {
    const v = V[measure][i];
    if (isNum(v)) return fmt(measure, v);
    return markOf(V, i) || DASH;
  }

  /** Raw CSV value: the payload number (a whole rate keeps its ".0"), the mark, or "". */
  function rawValue(V, measure, i) {
    const v = V[measure][i];
    if (isNum(v)) return measure === "rate" && Number.isInteger(v) ? v.toFixed(1) : String(v);
    return markOf(V, i) || "";
  }

  function rankText(V, i, total) {
    const r = V.rank[i];
    return isNum(r) ? INT.format(r) + " of " + INT.format(total) : DASH;
  }

  /** Text of area `i`'s shown value with its unit, for labels and tooltips. */
  function valueSentence(i) {
    const v = cur.values[i];
    if (isNum(v)) return fmtUnit(state.measure, v);
    const mark = markOf(cur.V, i);
    return mark ? mark + " (suppressed)" : "no value";
  }

  function areaLabel(i) {
    const a = cur.lv.areas[i];
    let text = String(a.name) + ": " + valueSentence(i);
    const r = cur.V.rank[i];
    if (isNum(r)) text += ", rank " + INT.format(r) + " of " + INT.format(cur.rankTotal);
    return text;
  }

  // ------------------------------------------------------------------ controls

  function option(value, text) {
    const o = h("option", { value: value });
    o.textContent = text;
    return o;
  }

  function setupControls() {
    const level = $("level");
    for (const id of levelIds) level.appendChild(option(id, String(DATA.levels[id].label)));
    level.disabled = levelIds.length < 2;

    // Indicators grouped by `group` in order of first appearance.
    const indicator = $("indicator");
    const groups = new Map();
    for (const ind of DATA.indicators) {
      const g = String(ind.group);
      if (!groups.has(g)) {
        const og = h("optgroup", { label: g });
        groups.set(g, og);
        indicator.appendChild(og);
      }
      groups.get(g).appendChild(option(String(ind.id), String(ind.label)));
    }
    const measure = $("measure");
    for (const m of DATA.measures) measure.appendChild(option(String(m.id), String(m.label)));
    const period = $("period");
    for (const p of DATA.periods) period.appendChild(option(String(p.id), String(p.label)));

    for (const key of ["level", "indicator", "measure", "period"]) {
      $(key).addEventListener("change", (e) => {
        performance.mark("atlas-switch-start");
        state[key] = e.target.value;
        if (key === "level") {
          if (state.area != null && !levelView(state.level).index.has(state.area)) state.area = null;
          showLevel();
        }
        render();
        performance.mark("atlas-switch-done");
      });
    }
  }

  function syncControls() {
    $("level").value = state.level;
    $("indicator").value = state.indicator;
    $("measure").value = state.measure;
    $("period").value = state.period;
  }

  // ------------------------------------------------------------------ map

  const svg = $("map");
  const frame = $("map-frame");
  const tooltip = $("tooltip");
  const mapLayer = s("g", { class: "area-layer" });
  const outlineLayer = s("g", { class: "outline", "aria-hidden": "true" });
  const hoverRing = s("path", { class: "ring ring--hover", "aria-hidden": "true" });
  const selectedRing = s("path", { class: "ring ring--selected", "aria-hidden": "true" });
  const selectedRingInner = s("path", { class: "ring ring--selected-inner", "aria-hidden": "true" });
  const focusRingOuter = s("path", { class: "ring ring--focus-outer", "aria-hidden": "true" });
  const focusRing = s("path", { class: "ring ring--focus", "aria-hidden": "true" });
  const hatch = s("pattern", {
    id: HATCH_ID, patternUnits: "userSpaceOnUse", patternTransform: "rotate(45)",
  });
  const hatchBg = s("rect", { fill: "#e9e9e9" });
  const hatchLine = s("rect", { fill: "#9e9e9e" });
  let home = [0, 0, 1, 1];
  let vb = [0, 0, 1, 1];

  function setupMap() {
    const defs = s("defs");
    hatch.appendChild(hatchBg);
    hatch.appendChild(hatchLine);
    defs.appendChild(hatch);
    svg.appendChild(defs);
    svg.appendChild(mapLayer);
    for (const d of DATA.outline || []) {
      svgTitle(outlineLayer.appendChild(s("path", { d: d.path, "data-code": d.code })), String(d.name));
    }
    svg.appendChild(outlineLayer);
    for (const ring of [hoverRing, selectedRing, selectedRingInner, focusRingOuter, focusRing]) svg.appendChild(ring);

    svg.addEventListener("pointermove", onPointerMove);
    svg.addEventListener("pointerleave", () => { if (!drag) hideHover(); });
    svg.addEventListener("pointerdown", onPointerDown);
    svg.addEventListener("pointerup", onPointerUp);
    svg.addEventListener("pointercancel", onPointerUp);
    svg.addEventListener("click", onMapClick);
    svg.addEventListener("wheel", onWheel, { passive: false });
    svg.addEventListener("keydown", (e) => {
      const i = areaIndex(e.target);
      if (i < 0) return;
      if (e.key === "Enter" || e.key === " " || e.key === "Spacebar") {
        e.preventDefault();
        selectArea(cur.lv.areas[i].code);
      }
    });
    svg.addEventListener("focusin", (e) => {
      const i = areaIndex(e.target);
      if (i < 0 || !e.target.matches(":focus-visible")) return; // keyboard focus only
      const d = cur.lv.paths[i].getAttribute("d");
      focusRingOuter.setAttribute("d", d);
      focusRing.setAttribute("d", d);
      const r = cur.lv.paths[i].getBoundingClientRect();
      showTooltip(i, r.left + r.width / 2, r.top + r.height / 2);
    });
    svg.addEventListener("focusout", () => {
      focusRingOuter.removeAttribute("d");
      focusRing.removeAttribute("d");
      hideHover();
    });
    $("zoom-in").addEventListener("click", () => zoomAt(1.6, vb[0] + vb[2] / 2, vb[1] + vb[3] / 2));
    $("zoom-out").addEventListener("click", () => zoomAt(1 / 1.6, vb[0] + vb[2] / 2, vb[1] + vb[3] / 2));
    $("zoom-reset").addEventListener("click", () => { vb = home.slice(); setViewBox(); });
  }

  /** Put the current level's paths in the map and reset the view to its box. */
  function showLevel() {
    const lv = levelView(state.level);
    mapLayer.replaceChildren(lv.group);
    home = lv.spec.view_box.map(Number);
    vb = home.slice();
    svg.style.aspectRatio = home[2] + " / " + home[3];
    setViewBox();
    hideHover();
    chartDirty = true;
    if (tableReady) attachRows(lv);
  }

  function setViewBox() {
    svg.setAttribute("viewBox", vb.join(" "));
    // Hatch spacing follows the zoom so it looks the same at every scale.
    const step = Math.max(vb[2], vb[3]) / 140;
    hatch.setAttribute("width", step);
    hatch.setAttribute("height", step);
    hatchBg.setAttribute("width", step);
    hatchBg.setAttribute("height", step);
    hatchLine.setAttribute("width", step * 0.28);
    hatchLine.setAttribute("height", step);
  }

  /** Zoom by `factor` keeping the user-space point (cx, cy) fixed. */
  function zoomAt(factor, cx, cy) {
    const w = Math.min(home[2] * 1.5, Math.max(home[2] / MAX_ZOOM, vb[2] / factor));
    const f = vb[2] / w;
    vb = [cx - (cx - vb[0]) / f, cy - (cy - vb[1]) / f, w, vb[3] / f];
    setViewBox();
  }

  function clientToUser(x, y) {
    const m = svg.getScreenCTM();
    if (!m) return { x: vb[0] + vb[2] / 2, y: vb[1] + vb[3] / 2 };
    return new DOMPoint(x, y).matrixTransform(m.inverse());
  }

  function onWheel(e) {
    e.preventDefault();
    const p = clientToUser(e.clientX, e.clientY);
    const unit = e.deltaMode === 1 ? 33 : e.deltaMode === 2 ? 400 : 1;
    zoomAt(Math.pow(1.0015, -e.deltaY * unit), p.x, p.y);
  }

  let drag = null;
  let suppressClick = false;

  function onPointerDown(e) {
    if (e.button !== 0) return;
    drag = { x: e.clientX, y: e.clientY, vb: vb.slice(), moved: false, id: e.pointerId };
    suppressClick = false;
  }

  function onPointerMove(e) {
    if (drag) {
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (!drag.moved && Math.hypot(dx, dy) < 4) return;
      if (!drag.moved) {
        drag.moved = true;
        svg.setPointerCapture(drag.id);
        svg.classList.add("is-panning");
        hideHover();
      }
      const r = svg.getBoundingClientRect();
      const upp = Math.max(drag.vb[2] / r.width, drag.vb[3] / r.height); // "meet" scaling
      vb = [drag.vb[0] - dx * upp, drag.vb[1] - dy * upp, drag.vb[2], drag.vb[3]];
      setViewBox();
      return;
    }
    const i = areaIndex(e.target);
    if (i < 0) hideHover();
    else showTooltip(i, e.clientX, e.clientY);
  }

  function onPointerUp() {
    if (drag && drag.moved) {
      suppressClick = true;
      if (svg.hasPointerCapture(drag.id)) svg.releasePointerCapture(drag.id);
      svg.classList.remove("is-panning");
    }
    drag = null;
  }

  function onMapClick(e) {
    if (suppressClick) {
      suppressClick = false;
      return;
    }
    const i = areaIndex(e.target);
    if (i >= 0) selectArea(cur.lv.areas[i].code);
  }

  /** Index of the area path `node`, or -1. */
  function areaIndex(node) {
    if (!node || !node.getAttribute || node.parentNode !== (cur && cur.lv.group)) return -1;
    const i = Number(node.getAttribute("data-i"));
    return Number.isInteger(i) ? i : -1;
  }

  function showTooltip(i, clientX, clientY) {
    hoverRing.setAttribute("d", cur.lv.paths[i].getAttribute("d"));
    const a = cur.lv.areas[i];
    const V = cur.V;
    const lines = [["tooltip__name", String(a.name)], ["tooltip__district", String(a.district_name)],
      ["tooltip__value", valueSentence(i)]];
    if (isNum(V.rank[i])) lines.push(["", "Rank " + rankText(V, i, cur.rankTotal)]);
    if (state.measure !== "count") lines.push(["", "Count: " + cellText(V, "count", i)]);
    if (state.measure === "change" && V.change_words[i]) lines.push(["", String(V.change_words[i])]);
    tooltip.replaceChildren(...lines.map(([cls, text]) => h("span", { class: cls || null }, text)));
    tooltip.hidden = false;
    const box = frame.getBoundingClientRect();
    const tw = tooltip.offsetWidth;
    const th = tooltip.offsetHeight;
    let x = clientX - box.left + 14;
    let y = clientY - box.top + 14;
    if (x + tw > box.width - 4) x = Math.max(4, clientX - box.left - tw - 14);
    if (y + th > box.height - 4) y = Math.max(4, clientY - box.top - th - 14);
    tooltip.style.transform = "translate(" + Math.round(x) + "px," + Math.round(y) + "px)";
  }

  function hideHover() {
    tooltip.hidden = true;
    hoverRing.removeAttribute("d");
  }

  /** Fill every area with its class colour (or the hatch) and refresh its label. */
  function paintMap() {
    const lv = cur.lv;
    const list = cur.classes.list;
    const classOf = cur.classes.classOf;
    for (let i = 0; i < lv.n; i++) {
      const c = classOf[i];
      const fill = c < 0 ? NO_VALUE_FILL : list[c].colour;
      if (lv.fills[i] !== fill) {
        lv.paths[i].setAttribute("fill", fill);
        lv.fills[i] = fill;
      }
      const label = areaLabel(i);
      if (lv.labels[i] !== label) {
        lv.paths[i].setAttribute("aria-label", label);
        lv.labels[i] = label;
      }
    }
  }

  function renderLegend() {
    $("legend-heading").textContent = cur.title;
    const items = cur.classes.list.map((c) => {
      const li = h("li");
      const sw = h("span", { class: "swatch", "aria-hidden": "true" });
      sw.style.background = c.colour;
      li.appendChild(sw);
      const range = c.min === c.max ? fmt(state.measure, c.min)
        : fmt(state.measure, c.min) + " to " + fmt(state.measure, c.max);
      li.appendChild(h("span", { class: "legend-range" }, range));
      li.appendChild(h("span", { class: "legend-n" }, "(" + INT.format(c.n) + ")"));
      return li;
    });
    const none = h("li", { class: "legend-none" });
    none.appendChild(h("span", { class: "swatch swatch--none", "aria-hidden": "true" }));
    none.appendChild(h("span", { class: "legend-range" }, "No value / suppressed"));
    none.appendChild(h("span", { class: "legend-n" }, "(" + INT.format(cur.classes.missing) + ")"));
    items.push(none);
    $("legend-list").replaceChildren(...items);
  }

  // ------------------------------------------------------------------ chart

  function buildBars(lv) {
    const bars = new Array(lv.n);
    for (let i = 0; i < lv.n; i++) {
      const a = lv.areas[i];
      const row = h("div", {
        class: "bar", "data-code": a.code, "data-i": i, role: "button", tabindex: "0",
        "aria-pressed": "false",
      });
      const label = h("span", { class: "bar-label", title: String(a.name) }, String(a.name));
      const track = h("span", { class: "bar-track", "aria-hidden": "true" });
      const fill = h("span", { class: "bar-fill" });
      track.appendChild(fill);
      const value = h("span", { class: "bar-value" });
      row.append(label, track, value);
      bars[i] = { row: row, fill: fill, value: value, text: null, colour: null };
    }
    lv.bars = bars;
  }

  function renderChart() {
    chartDirty = false;
    const lv = cur.lv;
    if (!lv.bars) buildBars(lv);
    const vals = cur.values;
    let lo = 0;
    let hi = 0;
    for (const v of vals) if (isNum(v)) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const span = hi - lo || 1;
    const zero = ((0 - lo) / span) * 100;
    const chart = $("chart");
    chart.style.setProperty("--zero", zero.toFixed(3) + "%");
    chart.classList.toggle("has-negative", lo < 0);
    const list = cur.classes.list;
    const classOf = cur.classes.classOf;
    for (let i = 0; i < lv.n; i++) {
      const b = lv.bars[i];
      const v = vals[i];
      const text = cellText(cur.V, state.measure, i);
      if (b.text !== text) { b.value.textContent = text; b.text = text; }
      if (isNum(v)) {
        const left = ((Math.min(v, 0) - lo) / span) * 100;
        const width = (Math.abs(v) / span) * 100;
        b.fill.style.left = left.toFixed(3) + "%";
        b.fill.style.width = width.toFixed(3) + "%";
        const colour = list[classOf[i]].colour;
        if (b.colour !== colour) { b.fill.style.background = colour; b.colour = colour; }
      } else {
        b.fill.style.width = "0";
      }
      b.row.setAttribute("aria-label", lv.labels[i] || areaLabel(i));
    }
    // Highest first; no value at the end, by name.
    const order = Array.from({ length: lv.n }, (_, i) => i);
    order.sort((a, b) => {
      const va = vals[a];
      const vb2 = vals[b];
      const na = !isNum(va);
      const nb = !isNum(vb2);
      if (na !== nb) return na ? 1 : -1;
      if (!na && va !== vb2) return vb2 - va;
      return COLLATOR.compare(String(lv.areas[a].name), String(lv.areas[b].name)) || a - b;
    });
    const same = lv.barOrder && order.every((x, k) => x === lv.barOrder[k]);
    if (!same || chart.firstChild === null || chart.firstChild !== lv.bars[order[0]].row) {
      const frag = document.createDocumentFragment();
      for (const i of order) frag.appendChild(lv.bars[i].row);
      chart.replaceChildren(frag);
      lv.barOrder = order;
    }
    $("chart-heading").textContent = cur.title;
    markSelection();
  }

  function setupChart() {
    const chart = $("chart");
    const pick = (e) => {
      const row = e.target.closest(".bar");
      return row ? row.getAttribute("data-code") : null;
    };
    chart.addEventListener("click", (e) => {
      const code = pick(e);
      if (code != null) selectArea(code);
    });
    chart.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      const code = pick(e);
      if (code != null) { e.preventDefault(); selectArea(code); }
    });
  }

  // ------------------------------------------------------------------ data table

  /** Table columns; `show` says whether a column is shown for the current measure. */
  const COLUMNS = [
    { key: "name", label: () => "Area", text: true },
    { key: "code", label: () => "Area code", text: true },
    { key: "district", label: () => "District", text: true },
    { key: "value", label: () => measureLabel(state.measure) + ", " + cur.period.label },
    { key: "rank", label: () => "Rank" },
    { key: "count", label: () => measureLabel("count"), show: () => state.measure !== "count" },
    { key: "words", label: () => "Significance", text: true, show: () => state.measure === "change" },
  ];
  const visibleColumns = () => COLUMNS.filter((c) => !c.show || c.show());
  const headCells = new Map();

  function setupTable() {
    const head = $("data-table-head");
    for (const col of COLUMNS) {
      const th = h("th", { scope: "col", class: "col-" + col.key + (col.text ? "" : " num") });
      const button = h("button", { type: "button", class: "sort", "data-sort": col.key });
      th.appendChild(button);
      head.appendChild(th);
      headCells.set(col.key, { th: th, button: button });
      button.addEventListener("click", () => {
        if (sort.key === col.key) sort.dir = sort.dir === "ascending" ? "descending" : "ascending";
        else {
          sort.key = col.key;
          sort.dir = col.key === "value" || col.key === "count" ? "descending" : "ascending";
        }
        updateTable();
      });
    }
    $("data-table-body").addEventListener("click", (e) => {
      const b = e.target.closest("button.area-link");
      if (b) selectArea(b.getAttribute("data-code"));
    });
    $("download-csv").addEventListener("click", downloadCsv);
  }

  function buildRows(lv) {
    const rows = new Array(lv.n);
    for (let i = 0; i < lv.n; i++) {
      const a = lv.areas[i];
      const tr = h("tr", { "data-code": a.code, "data-i": i });
      const th = h("th", { scope: "row", class: "col-name" });
      th.appendChild(h("button", { type: "button", class: "area-link", "data-code": a.code },
        String(a.name)));
      tr.appendChild(th);
      tr.appendChild(h("td", { class: "col-code" }, String(a.code)));
      tr.appendChild(h("td", { class: "col-district" }, String(a.district_name)));
      const cells = {};
      for (const key of ["value", "rank", "count", "words"]) {
        cells[key] = h("td", { class: "col-" + key + (key === "words" ? "" : " num") });
        tr.appendChild(cells[key]);
      }
      rows[i] = { tr: tr, cells: cells, texts: {} };
    }
    lv.rows = rows;
  }

  function attachRows(lv) {
    if (!lv.rows) buildRows(lv);
    lv.order = null; // forces the rows into the body on the next update
  }

  /** Area indexes in the table's sort order (no value always last, then by name). */
  function tableOrder() {
    const lv = cur.lv;
    const V = cur.V;
    const key = sort.key;
    const sign = sort.dir === "ascending" ? 1 : -1;
    const byName = (a, b) => COLLATOR.compare(String(lv.areas[a].name), String(lv.areas[b].name)) || a - b;
    let get = null;
    if (key === "name") get = (i) => String(lv.areas[i].name);
    else if (key === "code") get = (i) => String(lv.areas[i].code);
    else if (key === "district") get = (i) => String(lv.areas[i].district_name);
    else if (key === "value") get = (i) => cur.values[i];
    else if (key === "rank") get = (i) => V.rank[i];
    else if (key === "count") get = (i) => V.count[i];
    else get = (i) => (V.change_words[i] == null ? null : String(V.change_words[i]));
    const text = ["name", "code", "district", "words"].includes(key);
    const order = Array.from({ length: lv.n }, (_, i) => i);
    const keys = order.map(get);
    order.sort((a, b) => {
      const ka = keys[a];
      const kb = keys[b];
      const na = text ? ka == null : !isNum(ka);
      const nb = text ? kb == null : !isNum(kb);
      if (na !== nb) return na ? 1 : -1;
      if (!na) {
        const c = text ? COLLATOR.compare(ka, kb) : ka - kb;
        if (c !== 0) return sign * c;
      }
      return byName(a, b);
    });
    return order;
  }

  /** Update the table now (small tables) or just after the next repaint (large ones). */
  function scheduleTable() {
    if (!tableReady) return;
    if (cur.lv.n <= DEFER_TABLE_AT) {
      updateTable();
      return;
    }
    if (tablePending) return;
    tablePending = true;
    document.documentElement.setAttribute("data-atlas-pending", "table");
    requestAnimationFrame(() => setTimeout(flushTable, 0));
  }

  /** Run a scheduled table update now (before reading the table, e.g. for the CSV). */
  function flushTable() {
    if (!tablePending) return;
    tablePending = false;
    document.documentElement.removeAttribute("data-atlas-pending");
    updateTable();
  }

  function updateTable() {
    if (!tableReady) return;
    tablePending = false;
    const lv = cur.lv;
    if (!lv.rows) buildRows(lv);
    const V = cur.V;
    const table = $("data-table");
    table.classList.toggle("hide-count", state.measure === "count");
    table.classList.toggle("show-words", state.measure === "change");
    $("data-table-caption").textContent = cur.title + " (" + String(lv.spec.label) + ")";
    if (!visibleColumns().some((c) => c.key === sort.key)) {
      sort.key = "name"; // the sorted column is not shown for this measure
      sort.dir = "ascending";
    }
    for (const col of COLUMNS) {
      const hc = headCells.get(col.key);
      hc.button.textContent = col.label();
      if (sort.key === col.key) hc.th.setAttribute("aria-sort", sort.dir);
      else hc.th.removeAttribute("aria-sort");
    }
    for (let i = 0; i < lv.n; i++) {
      const r = lv.rows[i];
      const texts = {
        value: cellText(V, state.measure, i),
        rank: isNum(V.rank[i]) ? INT.format(V.rank[i]) : DASH,
        count: cellText(V, "count", i),
        words: V.change_words[i] == null ? DASH : String(V.change_words[i]),
      };
      for (const k in texts) {
        if (r.texts[k] !== texts[k]) { r.cells[k].textContent = texts[k]; r.texts[k] = texts[k]; }
      }
    }
    // Name, code and district orders do not depend on the values: keep them.
    const key = sort.key + " " + sort.dir;
    const fixed = ["name", "code", "district"].includes(sort.key);
    const body = $("data-table-body");
    if (!(fixed && lv.order && lv.orderKey === key && body.firstChild === lv.rows[lv.order[0]].tr)) {
      const order = tableOrder();
      const same = lv.order && order.every((x, k) => x === lv.order[k]) &&
        body.firstChild === lv.rows[order[0]].tr;
      if (!same) {
        const frag = document.createDocumentFragment();
        for (const i of order) frag.appendChild(lv.rows[i].tr);
        body.replaceChildren(frag);
      }
      lv.order = order;
      lv.orderKey = key;
    }
    markSelection();
  }

  // ------------------------------------------------------------------ CSV download

  /** One CSV field, quoted when needed; text that a spreadsheet would run as a formula
   *  (=, +, -, @ first) is prefixed with an apostrophe. */
  function csvField(value, isText) {
    let t = value == null ? "" : String(value);
    if (isText && /^[=+\-@\t\r]/.test(t)) t = "'" + t;
    return /[",\r\n]/.test(t) || /^\s|\s$/.test(t) ? '"' + t.replace(/"/g, '""') + '"' : t;
  }

  /** The table's shown columns and rows (in its current order) as CSV text. Numbers are
   *  the payload's own (no thousands separators), marks as text, no value as empty. */
  function tableCsv() {
    const cols = visibleColumns();
    const V = cur.V;
    const lv = cur.lv;
    const raw = {
      name: (i) => lv.areas[i].name,
      code: (i) => lv.areas[i].code,
      district: (i) => lv.areas[i].district_name,
      value: (i) => rawValue(V, state.measure, i),
      rank: (i) => (isNum(V.rank[i]) ? String(V.rank[i]) : ""),
      count: (i) => rawValue(V, "count", i),
      words: (i) => (V.change_words[i] == null ? "" : V.change_words[i]),
    };
    const lines = [cols.map((c) => csvField(c.label(), true)).join(",")];
    for (const i of lv.order || tableOrder()) {
      lines.push(cols.map((c) => csvField(raw[c.key](i), !!c.text)).join(","));
    }
    return "\ufeff" + lines.join("\r\n") + "\r\n";
  }

  const safeName = (x) => String(x).replace(/[^A-Za-z0-9_-]+/g, "_");

  function downloadCsv() {
    flushTable();
    const name = ["atlas", state.level, state.indicator, state.measure, state.period]
      .map(safeName).join("-") + ".csv";
    const blob = new Blob([tableCsv()], { type: "text/csv;charset=utf-8" });
    const url = URL.createObjectURL(blob);
    const a = h("a", { href: url, download: name, hidden: "" });
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  // ------------------------------------------------------------------ selection and panel

  let marked = null; // {lv, i} of the area currently marked as selected

  function selectArea(code) {
    const lv = cur.lv;
    if (code == null || !lv.index.has(String(code))) return;
    state.area = String(code);
    markSelection();
    renderPanel();
    $("panel-status").textContent = "Selected " + String(lv.areas[lv.index.get(state.area)].name);
    writeHash();
  }

  function clearSelection() {
    state.area = null;
    markSelection();
    renderPanel();
    $("panel-status").textContent = "Selection cleared";
    writeHash();
  }

  /** Mark the selected area on the map, in the chart and in the table. */
  function markSelection() {
    const lv = cur.lv;
    const i = state.area == null ? -1 : (lv.index.has(state.area) ? lv.index.get(state.area) : -1);
    if (marked && (marked.lv !== lv || marked.i !== i)) {
      const m = marked;
      m.lv.paths[m.i].classList.remove("selected");
      m.lv.paths[m.i].setAttribute("aria-pressed", "false");
      if (m.lv.bars) {
        m.lv.bars[m.i].row.classList.remove("selected");
        m.lv.bars[m.i].row.setAttribute("aria-pressed", "false");
      }
      if (m.lv.rows) m.lv.rows[m.i].tr.classList.remove("selected");
      marked = null;
    }
    if (i < 0) {
      selectedRing.removeAttribute("d");
      selectedRingInner.removeAttribute("d");
      return;
    }
    lv.paths[i].classList.add("selected");
    lv.paths[i].setAttribute("aria-pressed", "true");
    selectedRing.setAttribute("d", lv.paths[i].getAttribute("d"));
    selectedRingInner.setAttribute("d", lv.paths[i].getAttribute("d"));
    if (lv.bars) {
      lv.bars[i].row.classList.add("selected");
      lv.bars[i].row.setAttribute("aria-pressed", "true");
    }
    if (lv.rows) lv.rows[i].tr.classList.add("selected");
    marked = { lv: lv, i: i };
  }

  function setupPanel() {
    $("panel-clear").addEventListener("click", clearSelection);
    const labels = { count: "panel-count", rate: "panel-rate", change: "panel-change" };
    for (const id in labels) {
      const dt = $(labels[id]).previousElementSibling;
      if (id === "rate" && measureById.has("rate")) {
        const unit = measureById.get("rate").unit;
        dt.textContent = unit ? "Rate (" + String(unit) + ")" : "Rate";
      } else if (id === "change") dt.textContent = "Change";
      else dt.textContent = "Count";
    }
  }

  function renderPanel() {
    const lv = cur.lv;
    const has = state.area != null && lv.index.has(state.area);
    $("panel-empty").hidden = has;
    $("panel-body").hidden = !has;
    if (!has) {
      $("panel-name").textContent = "Area details";
      return;
    }
    const i = lv.index.get(state.area);
    const a = lv.areas[i];
    const V = cur.V;
    $("panel-name").textContent = String(a.name);
    $("panel-district").textContent = String(a.district_name) + " \u00b7 " + String(a.code);
    $("panel-indicator").textContent = cur.indicator.label + ", " + cur.period.label;
    $("panel-count").textContent = cellText(V, "count", i);
    $("panel-rate").textContent = isNum(V.rate[i]) ? fmt("rate", V.rate[i]) : cellText(V, "rate", i);
    $("panel-change").textContent = cellText(V, "change", i);
    $("panel-rank").textContent = rankText(V, i, cur.rankTotal);
    const words = V.change_words[i];
    $("panel-significance").textContent = words ? "Change on the previous period: " + String(words) : "";
    $("panel-significance").hidden = !words;
    renderTrend(i);
    renderAllIndicators(i);
  }

  /** Monthly counts of area `i` for the current indicator as a small bar chart. */
  function renderTrend(i) {
    const box = $("panel-trend");
    const series = DATA.monthly && DATA.monthly[state.level] && DATA.monthly[state.level][state.indicator];
    $("panel-trend-heading").textContent = "Monthly counts, " + cur.indicator.label;
    if (!series || !series.months.length) {
      box.replaceChildren(h("p", { class: "hint" }, "No monthly series for this indicator."));
      return;
    }
    const months = series.months;
    const counts = series.counts[i] || [];
    const W = 320;
    const H = 120;
    const left = 34;
    const bottom = 20;
    const top = 8;
    let max = 0;
    let gaps = 0;
    for (const c of counts) if (isNum(c)) max = Math.max(max, c); else gaps++;
    const yMax = niceCeil(max);
    const plotH = H - bottom - top;
    const step = (W - left - 4) / months.length;
    const first = monthLabel(months[0]);
    const last = monthLabel(months[months.length - 1]);
    const chart = s("svg", {
      viewBox: "0 0 " + W + " " + H, class: "trend-chart", role: "img",
      "aria-label": "Monthly counts from " + first + " to " + last,
    });
    chart.appendChild(s("line", { x1: left, x2: W - 4, y1: H - bottom, y2: H - bottom, class: "axis" }));
    chart.appendChild(s("line", { x1: left, x2: W - 4, y1: top, y2: top, class: "grid" }));
    const label = (x, y, text, anchor) => {
      const t = s("text", { x: x, y: y, "text-anchor": anchor, class: "tick" });
      t.textContent = text;
      chart.appendChild(t);
    };
    label(left - 4, top + 4, INT.format(yMax), "end");
    label(left - 4, H - bottom + 4, "0", "end");
    label(left, H - 4, first, "start");
    label(W - 4, H - 4, last, "end");
    for (let m = 0; m < months.length; m++) {
      const c = counts[m];
      if (!isNum(c)) continue; // a gap: suppressed or no data
      const bh = (c / yMax) * plotH;
      const bar = s("rect", {
        x: (left + m * step + step * 0.12).toFixed(2),
        y: (H - bottom - bh).toFixed(2),
        width: Math.max(0.5, step * 0.76).toFixed(2),
        height: bh.toFixed(2),
        class: "trend-bar",
        "data-month": months[m],
      });
      svgTitle(bar, monthLabel(months[m]) + ": " + INT.format(c));
      chart.appendChild(bar);
    }
    const parts = [chart];
    if (gaps) parts.push(h("p", { class: "hint" }, "Gaps: months suppressed or with no data."));
    box.replaceChildren(...parts);
  }

  /** Area `i` across every indicator, for the current period. */
  function renderAllIndicators(i) {
    const table = $("panel-table");
    $("panel-all-heading").textContent = "All indicators, " + cur.period.label;
    const head = h("thead");
    const hr = h("tr");
    for (const [t, num] of [["Indicator", false], ["Count", true], ["Rate", true], ["Change", true],
      ["Rank", true]]) hr.appendChild(h("th", { scope: "col", class: num ? "num" : null }, t));
    head.appendChild(hr);
    const body = h("tbody");
    for (const ind of DATA.indicators) {
      const V = block(state.level, String(ind.id), state.period);
      const tr = h("tr", { class: String(ind.id) === state.indicator ? "is-current" : null });
      tr.appendChild(h("th", { scope: "row" }, String(ind.label)));
      tr.appendChild(h("td", { class: "num" }, cellText(V, "count", i)));
      tr.appendChild(h("td", { class: "num" }, cellText(V, "rate", i)));
      const change = h("td", { class: "num" }, cellText(V, "change", i));
      if (V.change_words[i]) change.appendChild(h("span", { class: "words" }, String(V.change_words[i])));
      tr.appendChild(change);
      tr.appendChild(h("td", { class: "num" }, isNum(V.rank[i]) ? INT.format(V.rank[i]) : DASH));
      body.appendChild(tr);
    }
    table.replaceChildren(head, body);
  }

  // ------------------------------------------------------------------ pyramids

  const P = DATA.pyramids;

  function setupPyramid() {
    if (!P) {
      $("pyramid-none").hidden = false;
      return;
    }
    $("pyramid-section").hidden = false;
    const group = $("pyramid-group");
    const compare = $("pyramid-compare");
    for (const g of P.groups) {
      group.appendChild(option(String(g.id), String(g.name)));
      compare.appendChild(option(String(g.id), String(g.name)));
    }
    compare.appendChild(option("", "No comparison"));
    group.value = String(P.groups[0].id);
    compare.value = String(P.groups[0].id);
    for (const id of ["pyramid-group", "pyramid-compare", "pyramid-shares"]) {
      $(id).addEventListener("change", renderPyramid);
    }
  }

  const groupName = (id) => {
    const g = P.groups.find((x) => String(x.id) === id);
    return g ? String(g.name) : id;
  };

  /** Total of one pyramid (both sexes, every band; suppressed cells left out). */
  function pyramidTotal(side) {
    let t = 0;
    for (const sex of SEXES) for (const v of side[sex]) if (isNum(v)) t += v;
    return t;
  }

  function renderPyramid() {
    if (!P) return;
    const gid = $("pyramid-group").value;
    const cid = $("pyramid-compare").value;
    const shares = $("pyramid-shares").checked;
    const data = P.data[gid];
    const comp = cid ? P.data[cid] : null;
    const figures = [];
    for (const [side, sideLabel] of SIDES) {
      figures.push(pyramidFigure(side, sideLabel, data[side], comp ? comp[side] : null, shares, gid, cid));
    }
    $("pyramids").replaceChildren(...figures);
    // Key
    const key = [];
    for (const [cls, text] of [["key-male", "Male"], ["key-female", "Female"]]) {
      const li = h("li");
      li.appendChild(h("span", { class: "swatch " + cls, "aria-hidden": "true" }));
      li.appendChild(h("span", null, text));
      key.push(li);
    }
    if (cid) {
      const li = h("li");
      li.appendChild(h("span", { class: "swatch key-outline", "aria-hidden": "true" }));
      li.appendChild(h("span", null, "Outline: " + groupName(cid)));
      key.push(li);
    }
    const suppressed = SIDES.some(([side]) => SEXES.some((sex) => data[side][sex].some((v) => !isNum(v))));
    if (suppressed) {
      const li = h("li");
      li.appendChild(h("span", { class: "swatch swatch--none", "aria-hidden": "true" }));
      li.appendChild(h("span", null, "Suppressed or no data"));
      key.push(li);
    }
    $("pyramid-key").replaceChildren(...key);
    renderPyramidTable(data, shares, gid);
  }

  function pyramidFigure(side, sideLabel, d, c, shares, gid, cid) {
    const bands = P.bands;
    const total = pyramidTotal(d);
    const ctotal = c ? pyramidTotal(c) : 0;
    const show = (v, t) => (isNum(v) ? (shares ? (t ? (v / t) * 100 : 0) : v) : null);
    let max = 0;
    for (const sex of SEXES) {
      for (let b = 0; b < bands.length; b++) {
        max = Math.max(max, show(d[sex][b], total) || 0);
        if (c) max = Math.max(max, show(c[sex][b], ctotal) || 0);
      }
    }
    const axisMax = niceCeil(max);
    const W = 400;
    const centre = 58;
    const pad = 14;
    const half = (W - centre) / 2 - pad;
    const top = 24;
    const rowH = 17;
    const H = top + bands.length * rowH + 32;
    const xL = pad + half; // left edge of the band-label column
    const xR = xL + centre; // right edge
    const fig = h("figure", { class: "pyramid", "data-side": side });
    const cap = h("figcaption");
    cap.appendChild(h("strong", null, sideLabel + ": " + groupName(gid)));
    cap.appendChild(document.createTextNode(" (total " + INT.format(total) + ")"));
    fig.appendChild(cap);
    const chart = s("svg", {
      viewBox: "0 0 " + W + " " + H, class: "pyramid-chart", role: "img",
      "aria-label": sideLabel + " by age band and sex, " + groupName(gid) + (shares ? ", shares" : ", counts"),
    });
    const text = (x, y, t, anchor, cls) => {
      const n = s("text", { x: x, y: y, "text-anchor": anchor, class: cls });
      n.textContent = t;
      chart.appendChild(n);
    };
    const hatchId = "pyr-hatch-" + side;
    const defs = s("defs");
    const pattern = s("pattern", {
      id: hatchId, patternUnits: "userSpaceOnUse", width: 4, height: 4,
      patternTransform: "rotate(45)",
    });
    pattern.appendChild(s("rect", { width: 4, height: 4, fill: "#e9e9e9" }));
    pattern.appendChild(s("rect", { width: 1.3, height: 4, fill: "#8a8a8a" }));
    defs.appendChild(pattern);
    chart.appendChild(defs);
    text(xL - 4, 15, "Male", "end", "pyr-head");
    text(xR + 4, 15, "Female", "start", "pyr-head");
    const scale = (v) => (v / axisMax) * half;
    for (let b = 0; b < bands.length; b++) {
      const y = top + (bands.length - 1 - b) * rowH; // oldest at the top
      text(xL + centre / 2, y + rowH * 0.72, String(bands[b]), "middle", "pyr-band");
      for (const sex of SEXES) {
        const raw = d[sex][b];
        const v = show(raw, total);
        const w = v == null ? 0 : scale(v);
        const x = sex === "male" ? xL - w : xR;
        const what = sideLabel + ", " + (sex === "male" ? "male" : "female") + ", " + String(bands[b]) + ": ";
        const tip = isNum(raw)
          ? what + INT.format(raw) + (total ? " (" + ONE_DP.format((raw / total) * 100) + "% of " + sideLabel.toLowerCase() + ")" : "")
          : what + "suppressed or no data";
        const bar = s("rect", {
          x: x.toFixed(2), y: y + 2, width: w.toFixed(2), height: rowH - 4,
          class: "pyr-bar pyr-" + sex, "data-band": bands[b], "data-sex": sex,
          "data-value": isNum(raw) ? raw : "",
        });
        svgTitle(bar, tip);
        chart.appendChild(bar);
        if (v == null) {
          // Suppressed or missing: a short hatched stub, as on the map.
          chart.appendChild(svgTitle(s("rect", {
            x: sex === "male" ? xL - 7 : xR, y: y + 2, width: 7, height: rowH - 4,
            fill: "url(#" + hatchId + ")", class: "pyr-missing",
          }), tip));
        }
        if (c) {
          const cv = show(c[sex][b], ctotal);
          if (cv != null) {
            const cw = scale(cv);
            chart.appendChild(s("rect", {
              x: (sex === "male" ? xL - cw : xR).toFixed(2), y: y + 2, width: cw.toFixed(2),
              height: rowH - 4, class: "pyr-compare", "data-band": bands[b], "data-sex": sex,
            }));
          }
        }
      }
    }
    // Axis: 0, half and full scale on both sides.
    const axisY = top + bands.length * rowH + 4;
    chart.appendChild(s("line", { x1: pad, x2: xL, y1: axisY, y2: axisY, class: "axis" }));
    chart.appendChild(s("line", { x1: xR, x2: W - pad, y1: axisY, y2: axisY, class: "axis" }));
    const tick = (v) => (shares ? ONE_DP.format(v).replace(/\.0$/, "") + "%" : INT.format(v));
    for (const f of [0, 0.5, 1]) {
      const dx = f * half;
      text(xL - dx, axisY + 16, tick(f * axisMax), "middle", "tick");
      text(xR + dx, axisY + 16, tick(f * axisMax), "middle", "tick");
    }
    fig.appendChild(chart);
    if (c && cid) {
      fig.appendChild(h("p", { class: "hint" }, "Outline: " + groupName(cid) + " (total " + INT.format(ctotal) + ")"));
    }
    return fig;
  }

  function renderPyramidTable(data, shares, gid) {
    const table = $("pyramid-table");
    const cap = h("caption", null, "Victims and offenders by age band and sex, " + groupName(gid) +
      (shares ? " (count and share of each total)" : " (counts)"));
    const hr = h("tr");
    hr.appendChild(h("th", { scope: "col" }, "Age band"));
    for (const [, label] of SIDES) {
      for (const sex of SEXES) hr.appendChild(h("th", { scope: "col", class: "num" }, label + ", " + sex));
    }
    const body = h("tbody");
    const totals = {};
    for (const [side] of SIDES) totals[side] = pyramidTotal(data[side]);
    for (let b = P.bands.length - 1; b >= 0; b--) {
      const tr = h("tr");
      tr.appendChild(h("th", { scope: "row" }, String(P.bands[b])));
      for (const [side] of SIDES) {
        for (const sex of SEXES) {
          const v = data[side][sex][b];
          let t = isNum(v) ? INT.format(v) : "suppressed";
          if (shares && isNum(v) && totals[side]) t += " (" + ONE_DP.format((v / totals[side]) * 100) + "%)";
          tr.appendChild(h("td", { class: "num" }, t));
        }
      }
      body.appendChild(tr);
    }
    const head = h("thead");
    head.appendChild(hr);
    table.replaceChildren(cap, head, body);
  }

  // ------------------------------------------------------------------ views (tabs)

  function setView(view, focus) {
    if (!VIEWS.includes(view)) view = "map";
    state.view = view;
    for (const v of VIEWS) {
      const tab = $("tab-" + v);
      const on = v === view;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      $("view-" + v).hidden = !on;
      if (on && focus) tab.focus();
    }
    if (view === "chart" && chartDirty && cur) renderChart();
    if (view === "pyramid" && P && !$("pyramids").firstChild) renderPyramid();
    if (view !== "map") hideHover();
    writeHash();
  }

  function setupTabs() {
    for (const v of VIEWS) $("tab-" + v).addEventListener("click", () => setView(v));
    document.querySelector("[role=tablist]").addEventListener("keydown", (e) => {
      const k = VIEWS.indexOf(state.view);
      let next = null;
      if (e.key === "ArrowRight") next = VIEWS[(k + 1) % VIEWS.length];
      else if (e.key === "ArrowLeft") next = VIEWS[(k + VIEWS.length - 1) % VIEWS.length];
      else if (e.key === "Home") next = VIEWS[0];
      else if (e.key === "End") next = VIEWS[VIEWS.length - 1];
      if (next) { e.preventDefault(); setView(next, true); }
    });
  }

  // ------------------------------------------------------------------ permalink

  /** The state in the hash, checked part by part; a bad part keeps its default. */
  function readHash() {
    const raw = location.hash.replace(/^#/, "");
    const out = Object.assign({}, DEFAULTS);
    if (!raw.includes("=")) return out;
    let p;
    try { p = new URLSearchParams(raw); } catch (err) { return out; }
    const level = p.get("level");
    if (level && levelIds.includes(level)) out.level = level;
    const ind = p.get("indicator");
    if (ind && indicatorById.has(ind)) out.indicator = ind;
    const m = p.get("measure");
    if (m && measureById.has(m)) out.measure = m;
    const per = p.get("period");
    if (per && periodById.has(per)) out.period = per;
    const view = p.get("view");
    if (view && VIEWS.includes(view)) out.view = view;
    const area = p.get("area");
    if (area && levelView(out.level).index.has(area)) out.area = area;
    return out;
  }

  function writeHash() {
    const p = new URLSearchParams();
    p.set("level", state.level);
    p.set("indicator", state.indicator);
    p.set("measure", state.measure);
    p.set("period", state.period);
    if (state.area != null) p.set("area", state.area);
    p.set("view", state.view);
    const hash = "#" + p.toString();
    if (location.hash === hash) return;
    lastHash = hash;
    try {
      history.replaceState(null, "", hash);
    } catch (err) {
      location.replace(hash);
    }
  }

  window.addEventListener("hashchange", () => {
    if (location.hash === lastHash || !location.hash.includes("=")) return;
    const next = readHash();
    const levelChanged = next.level !== state.level;
    Object.assign(state, next);
    if (levelChanged) showLevel();
    syncControls();
    render();
    setView(state.view);
  });

  // ------------------------------------------------------------------ render

  /** Redraw everything that depends on level, indicator, measure and period. */
  function render() {
    const lv = levelView(state.level);
    const V = block(state.level, state.indicator, state.period);
    const values = V[state.measure];
    const indicator = indicatorById.get(state.indicator);
    const period = periodById.get(state.period);
    cur = {
      lv: lv,
      V: V,
      values: values,
      classes: classify(values, state.measure === "change"),
      rankTotal: rankTotal(V),
      indicator: { label: String(indicator.label) },
      period: { label: String(period.label) },
      title: String(indicator.label) + ": " + measureLabel(state.measure) + ", " + String(period.label),
    };
    paintMap();
    renderLegend();
    $("map-heading").textContent = cur.title + " \u00b7 " + String(lv.spec.label);
    markSelection();
    if (!mapDrawnMarked) {
      mapDrawnMarked = true;
      performance.mark("atlas-map-drawn");
    }
    scheduleTable();
    if (state.view === "chart") renderChart();
    else chartDirty = true;
    renderPanel();
    writeHash();
  }

  // ------------------------------------------------------------------ start

  function init() {
    setupControls();
    setupMap();
    setupChart();
    setupTable();
    setupPanel();
    setupPyramid();
    setupTabs();
    $("skip-link").addEventListener("click", (e) => {
      e.preventDefault(); // keep the permalink in the hash
      const target = $("data-table-heading");
      target.focus();
      target.scrollIntoView();
    });
    Object.assign(state, readHash());
    syncControls();
    showLevel();
    render();
    setView(state.view);
    // The table (many rows at LSOA level) is built after the map has been painted.
    requestAnimationFrame(() => setTimeout(() => {
      tableReady = true;
      attachRows(cur.lv);
      updateTable();
      document.documentElement.setAttribute("data-atlas-ready", "true");
    }, 0));
  }

  init();
})();
