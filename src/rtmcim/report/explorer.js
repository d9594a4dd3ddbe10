// report.html's interactive parts (rtmcim.report): the Pareto-front explorer (axes, colour,
// filters, hover, a chosen design's per-layer energy, two designs side by side), sortable and
// filterable tables, the baselines and fault-accuracy figures. Data: the JSON element
// #explorer-data written by rtmcim.report.interactive. Plain JavaScript, plotly.js embedded.
"use strict";
(function () {
  const el = (id) => document.getElementById(id);
  const PREFIX = { "-6": "a", "-5": "f", "-4": "p", "-3": "n", "-2": "µ", "-1": "m", "0": "", "1": "k", "2": "M", "3": "G", "4": "T", "5": "P" };

  // engineering notation, as rtmcim.report.units.eng
  function mantissa(m) {
    const a = Math.abs(m);
    if (a >= 1000) return Math.round(m).toLocaleString("en-US");
    if (a === 0) return "0";
    return m.toFixed(Math.max(0, 2 - Math.floor(Math.log10(a))));
  }
  function eng(v, unit) {
    if (v === null || v === undefined || Number.isNaN(v)) return "n/a";
    if (v === 0) return "0 " + unit;
    v = Number(v.toPrecision(3));
    const step = unit.endsWith("²") ? 6 : 3, low = step === 6 ? -1 : 0;
    let k = Math.floor((Math.log10(Math.abs(v)) - low) / step);
    k = Math.max(-6, Math.min(5, k));
    return (mantissa(v / Math.pow(10, step * k)) + " " + PREFIX[String(k)] + unit).trim();
  }

  // ---- sortable tables: click a header to sort by its column (numbers by value) ----
  function sortable(table) {
    const heads = table.querySelectorAll("thead th");
    heads.forEach((th, col) => th.addEventListener("click", () => {
      const desc = th.classList.contains("asc");
      heads.forEach((h) => h.classList.remove("asc", "desc"));
      th.classList.add(desc ? "desc" : "asc");
      const body = table.tBodies[0];
      const rows = Array.from(body.rows);
      const key = (r) => r.cells[col].dataset.v;
      const numeric = rows.every((r) => key(r) === "" || !Number.isNaN(Number(key(r))));
      rows.sort((a, b) => {
        let c;
        if (numeric) c = (key(a) === "" ? Infinity : Number(key(a))) - (key(b) === "" ? Infinity : Number(key(b)));
        else c = key(a).localeCompare(key(b), "en", { numeric: true });
        return desc ? -c : c;
      });
      rows.forEach((r) => body.appendChild(r));
    }));
  }
  document.querySelectorAll("table.sortable").forEach(sortable);

  const dataEl = el("explorer-data");
  if (!dataEl || typeof Plotly === "undefined") return;
  const D = JSON.parse(dataEl.textContent);
  const R = D.records;
  const SI = ["J", "s", "W", "J·s"];  // axes in these units get SI tick prefixes
  const FIG = {};
  D.figures.forEach((f) => { FIG[f.col] = f; });

  // a figure in plot units: SI base units (log axes get SI tick prefixes), area in mm², % for accuracy
  function plotValue(rec, col) {
    const f = FIG[col], v = rec.fig[col];
    if (v === null || v === undefined) return null;
    if (f.unit === "%") return 100 * v;
    if (f.unit === "m²") return v * 1e-6;
    return v * f.scale;
  }
  function axis(col) {
    const f = FIG[col];
    const unit = f.unit === "m²" ? "mm²" : f.unit;
    const ax = { title: { text: f.label + " (" + unit + ")" }, type: f.log ? "log" : "linear", zeroline: false };
    if (SI.indexOf(f.unit) >= 0) {
      ax.exponentformat = "SI";
      ax.ticksuffix = f.unit;
      ax.title.text = f.label;
    }
    return ax;
  }
  // ---- filters: model, bits and every hardware choice that varies ----
  const CATS = [["model", "model"], ["wbits", "W bits"], ["abits", "A bits"]].concat(D.hw_keys.map((k) => ["hw." + k, k]));
  const catValue = (rec, c) => (c.startsWith("hw.") ? rec.hw[c.slice(3)] : rec[c]);
  const filters = {};
  function controls() {
    const box = el("front-controls");
    const opts = D.figures.map((f) => "<option value='" + f.col + "'>" + f.label + "</option>").join("");
    let html = "<label>x <select id='x-axis'>" + opts + "</select></label>" +
      "<label>y <select id='y-axis'>" + opts + "</select></label>" +
      "<label>colour <select id='color-by'>" + opts +
      CATS.map((c) => "<option value='" + c[0] + "'>" + c[1] + "</option>").join("") + "</select></label>";
    CATS.forEach((c) => {
      const vals = Array.from(new Set(R.map((r) => String(catValue(r, c[0]))))).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
      html += "<label>" + c[1] + " <select data-filter='" + c[0] + "'><option value=''>all</option>" +
        vals.map((v) => "<option>" + v + "</option>").join("") + "</select></label>";
    });
    html += "<label>rows containing <input id='front-search' size='12'></label><span id='front-count'></span>";
    box.innerHTML = html;
    el("x-axis").value = FIG.energy_pj ? "energy_pj" : D.figures[1].col;
    el("y-axis").value = "accuracy";
    el("color-by").value = FIG.latency_ns ? "latency_ns" : "wbits";
    box.querySelectorAll("select,input").forEach((s) => s.addEventListener("input", update));
  }

  function shown() {
    const text = (el("front-search").value || "").toLowerCase();
    box_filters();
    return R.map((r, i) => {
      for (const c in filters) if (filters[c] !== "" && String(catValue(r, c)) !== filters[c]) return false;
      if (text && !rowText[i].includes(text)) return false;
      return true;
    });
  }
  function box_filters() {
    document.querySelectorAll("#front-controls select[data-filter]").forEach((s) => { filters[s.dataset.filter] = s.value; });
  }
  const rowText = [];

  function hoverText(r) {
    const lines = ["<b>" + r.model + " W" + r.wbits + "/A" + r.abits + "</b>", "trial " + r.trial + ", point " + r.point];
    Object.keys(r.hw).forEach((k) => lines.push(k + " = " + r.hw[k]));
    if (r.trial >= 0) Object.keys(D.hw_same).forEach((k) => lines.push(k + " = " + D.hw_same[k]));
    D.figures.forEach((f) => { if (r.text[f.col]) lines.push(f.label + ": " + r.text[f.col]); });
    if (r.fidelity) lines.push("accuracy from " + r.fidelity);
    lines.push(r.file);
    return lines.join("<br>");
  }

  function colourOf(recs, c) {
    if (FIG[c]) return { values: recs.map((r) => plotValue(r, c)), title: FIG[c].label, ticks: null };
    const vals = recs.map((r) => catValue(r, c));
    if (vals.every((v) => typeof v === "number")) return { values: vals, title: c, ticks: null };
    const cats = Array.from(new Set(R.map((r) => String(catValue(r, c))))).sort();
    return { values: vals.map((v) => cats.indexOf(String(v))), title: c, ticks: cats };
  }

  let selected = [];  // record indices: the chosen design first, the one chosen before it second
  function update() {
    const keep = shown();
    const idx = R.map((_, i) => i).filter((i) => keep[i]);
    const recs = idx.map((i) => R[i]);
    const xc = el("x-axis").value, yc = el("y-axis").value, cc = el("color-by").value;
    const col = colourOf(recs, cc);
    const cat = CATS.find((c) => c[0] === cc);
    const marker = { size: 9, color: col.values, colorscale: "Viridis", showscale: true, line: { width: 0.5, color: "#333" },
      colorbar: { title: { text: cat ? cat[1] : col.title } } };
    if (col.ticks) { marker.colorbar.tickvals = col.ticks.map((_, i) => i); marker.colorbar.ticktext = col.ticks; }
    if (FIG[cc] && FIG[cc].log && (SI.indexOf(FIG[cc].unit) >= 0 || FIG[cc].unit === "m²")) {
      // a log colour scale: the colours by log10, the ticks in engineering notation
      marker.color = col.values.map((v) => (v > 0 ? Math.log10(v) : null));
      const logs = marker.color.filter((v) => v !== null);
      const lo = Math.min(...logs), hi = Math.max(...logs);
      const ticks = logs.length ? [0, 1, 2, 3, 4].map((k) => lo + (hi - lo) * k / 4) : [];
      const unit = FIG[cc].unit === "m²" ? "m²" : FIG[cc].unit, mul = FIG[cc].unit === "m²" ? 1e-6 : 1;
      marker.colorbar.tickvals = ticks;
      marker.colorbar.ticktext = ticks.map((t) => eng(Math.pow(10, t) * mul, unit));
      marker.colorbar.title.text = FIG[cc].label;
    }
    const traces = [{
      type: "scatter", mode: "markers", name: "front", meta: "front",
      x: recs.map((r) => plotValue(r, xc)), y: recs.map((r) => plotValue(r, yc)),
      customdata: idx, text: recs.map(hoverText), hoverinfo: "text", marker: marker,
    }];
    const sel = selected.filter((i) => keep[i]);
    traces.push({
      type: "scatter", mode: "markers", name: "chosen", meta: "chosen", hoverinfo: "skip",
      x: sel.map((i) => plotValue(R[i], xc)), y: sel.map((i) => plotValue(R[i], yc)),
      marker: { size: 17, color: "rgba(0,0,0,0)", line: { width: 2.5, color: sel.map((_, k) => (k === 0 ? "#d62728" : "#1f77b4")) } },
    });
    if (D.reference) {
      traces.push({
        type: "scatter", mode: "markers", name: "default design", meta: "default",
        x: [plotValue(D.reference, xc)], y: [plotValue(D.reference, yc)], text: [hoverText(D.reference)],
        hoverinfo: "text", marker: { symbol: "star", size: 16, color: "gold", line: { width: 1, color: "#000" } },
      });
    }
    const layout = {
      xaxis: axis(xc), yaxis: axis(yc), hovermode: "closest", margin: { t: 30, r: 10 },
      legend: { orientation: "h", y: 1.08 }, showlegend: true,
      title: { text: idx.length + " of " + R.length + " front designs (click one to inspect it, a second to compare)", font: { size: 13 } },
    };
    Plotly.react("front-plot", traces, layout, { displaylogo: false, responsive: true });
    el("front-count").textContent = idx.length + " / " + R.length + " designs";
    const rows = el("front-table") ? Array.from(el("front-table").tBodies[0].rows) : [];
    rows.forEach((tr) => { tr.style.display = keep[Number(tr.dataset.i)] ? "" : "none"; });
  }

  // ---- a chosen design: its figures beside the one chosen before it, its per-layer energy ----
  function choose(i) {
    selected = [i].concat(selected.filter((j) => j !== i)).slice(0, 2);
    document.querySelectorAll("#front-table tbody tr").forEach((tr) => {
      const k = selected.indexOf(Number(tr.dataset.i));
      tr.classList.toggle("sel1", k === 0);
      tr.classList.toggle("sel2", k === 1);
    });
    panel();
    layers();
    update();
  }
  function panel() {
    const recs = selected.map((i) => R[i]);
    const head = recs.map((r, k) => "<th>" + (k === 0 ? "chosen" : "chosen before") + ": <a href='" + r.file + "'>trial " + r.trial + "</a>, point " + r.point + "</th>").join("");
    let html = "<table><thead><tr><th class='l'></th>" + head + (recs.length === 2 ? "<th>chosen / before</th>" : "") + "</tr></thead><tbody>";
    const row = (name, cells, ratio) => { html += "<tr><td class='l'>" + name + "</td>" + cells.map((c) => "<td>" + c + "</td>").join("") + (recs.length === 2 ? "<td>" + (ratio || "") + "</td>" : "") + "</tr>"; };
    row("model", recs.map((r) => r.model + " W" + r.wbits + "/A" + r.abits));
    D.hw_keys.forEach((k) => row(k, recs.map((r) => r.hw[k])));
    if (recs.some((r) => r.fidelity)) row("accuracy from", recs.map((r) => r.fidelity || "?"));
    D.figures.forEach((f) => {
      const a = recs[0].fig[f.col], b = recs.length === 2 ? recs[1].fig[f.col] : null;
      row(f.label, recs.map((r) => r.text[f.col] || "n/a"), a !== null && b ? "×" + (a / b).toPrecision(3) : "");
    });
    el("design-panel").innerHTML = html + "</tbody></table>";
  }
  function layers() {
    const r = R[selected[0]];
    if (!r.layers) return;
    const L = r.layers;
    const traces = Object.keys(L.classes).map((c) => ({
      type: "bar", name: c, x: L.names, y: L.classes[c].map((v) => v * 1e-12),
      hovertemplate: "%{x}: " + c + " %{text}<extra></extra>", text: L.classes[c].map((v) => eng(v * 1e-12, "J")),
      textposition: "none",
    }));
    Plotly.react("layer-plot", traces, {
      barmode: "stack", margin: { t: 40, r: 10 },
      title: { text: "Per-layer energy by event class: " + r.model + " W" + r.wbits + "/A" + r.abits + ", trial " + r.trial + " point " + r.point, font: { size: 13 } },
      yaxis: { title: { text: "energy / inference" }, exponentformat: "SI", ticksuffix: "J" },
    }, { displaylogo: false, responsive: true });
  }

  // ---- the baselines and the fault accuracy ----
  function baselines() {
    const B = D.baselines;
    if (!B || !el("baselines-plot")) return;
    const parts = [["energy_pj", 1e-12, "J", "energy / inference"], ["latency_ns", 1e-9, "s", "latency / inference"], ["area_um2", 1e-6, "mm²", "area"]];
    const traces = [], layout = { showlegend: false, margin: { t: 40, r: 10, b: 110 }, height: 420 };
    parts.forEach((p, k) => {
      const ax = k === 0 ? "" : String(k + 1);
      traces.push({
        type: "bar", x: B.rows.map((r) => r.name), y: B.rows.map((r) => r[p[0]] * p[1]), xaxis: "x" + ax, yaxis: "y" + ax,
        marker: { color: B.rows.map((_, i) => (i === 0 ? "#d62728" : "#7f7f7f")) },
        text: B.rows.map((r) => (p[2] === "mm²" ? eng(r[p[0]] * 1e-12, "m²") : eng(r[p[0]] * p[1], p[2])) + " (" + r.source + ")"),
        textposition: "none", hovertemplate: "%{x}: %{text}<extra>" + p[3] + "</extra>",
      });
      layout["xaxis" + ax] = { domain: [k / 3 + 0.04, (k + 1) / 3 - 0.02], tickangle: 30, anchor: "y" + ax };
      layout["yaxis" + ax] = { type: "log", anchor: "x" + ax, title: { text: p[3] + (p[2] === "mm²" ? " (mm²)" : "") }, exponentformat: "SI", ticksuffix: p[2] === "mm²" ? "" : p[2] };
    });
    Plotly.newPlot("baselines-plot", traces, layout, { displaylogo: false, responsive: true });
  }
  function faults() {
    const F = D.faults;
    if (!F || !el("faults-plot")) return;
    const pts = F.filter((f) => f.fault_free !== null && f.faulty !== null);
    Plotly.newPlot("faults-plot", [
      { type: "scatter", mode: "markers", name: "models", x: pts.map((f) => 100 * f.fault_free), y: pts.map((f) => 100 * f.faulty),
        text: pts.map((f) => "trial " + f.trial + ": " + f.model + " " + f.bits + "<br>fault-free " + (100 * f.fault_free).toFixed(1) + " %, under faults " + (100 * f.faulty).toFixed(1) + " % (" + f.images + " images)"),
        hoverinfo: "text", marker: { size: 9 } },
      { type: "scatter", mode: "lines", name: "no loss", x: [0, 100], y: [0, 100], line: { dash: "dot", color: "#999" }, hoverinfo: "skip" },
    ], {
      xaxis: { title: { text: "fault-free accuracy (%)" } }, yaxis: { title: { text: "accuracy under faults (%)" } },
      margin: { t: 20, r: 10 }, height: 380,
    }, { displaylogo: false, responsive: true });
  }

  function crossover() {
    const C = D.crossover;
    if (!C || !C.length || !el("crossover-plot")) return;
    const models = Array.from(new Set(C.map((c) => c.model)));
    const STYLE = { in_memory: ["#d62728", "circle", "in-memory (RTM MAC cells)"], near_memory: ["#1f77b4", "square", "near-memory (RTM + CMOS MACs)"], cmos_sram: ["#2ca02c", "triangle-up", "CMOS + SRAM"] };
    el("crossover-controls").innerHTML = "<label>model <select id='crossover-model'>" +
      models.map((m) => "<option>" + m + "</option>").join("") + "</select></label>";
    const draw = () => {
      const m = el("crossover-model").value;
      const mine = C.filter((c) => c.model === m);
      const traces = [];
      [["energy_pj", 1e-12, "J", "energy / inference", ""], ["latency_ns", 1e-9, "s", "latency / inference", "2"]].forEach((f) => {
        Object.keys(STYLE).forEach((d) => {
          const pts = mine.filter((c) => c.design === d && c[f[0]] !== null).sort((a, b) => a.kib - b.kib);
          traces.push({
            type: "scatter", mode: "lines+markers", name: STYLE[d][2], legendgroup: d, showlegend: f[4] === "",
            x: pts.map((c) => c.kib), y: pts.map((c) => c[f[0]] * f[1]), xaxis: "x" + f[4], yaxis: "y" + f[4],
            line: { color: STYLE[d][0] }, marker: { symbol: STYLE[d][1], size: 7 },
            text: pts.map((c) => eng(c[f[0]] * f[1], f[2])), hovertemplate: STYLE[d][2] + " at %{x} KiB: %{text}<extra>" + f[3] + "</extra>",
          });
        });
      });
      const kib = mine.length ? mine[0].weights_kib : 0;
      const xa = (dom) => ({ type: "log", dtick: Math.log10(2), tickformat: "d", title: { text: "on-chip store (KiB)" }, domain: dom });
      Plotly.react("crossover-plot", traces, {
        title: { text: m + " (" + Math.round(kib).toLocaleString("en-US") + " KiB of weights): the least figure wins", font: { size: 13 } },
        xaxis: xa([0, 0.45]), xaxis2: xa([0.55, 1]),
        yaxis: { type: "log", exponentformat: "SI", ticksuffix: "J", title: { text: "energy / inference" } },
        yaxis2: { type: "log", exponentformat: "SI", ticksuffix: "s", title: { text: "latency / inference" }, anchor: "x2" },
        margin: { t: 40, r: 10 }, legend: { orientation: "h", y: -0.2 },
      }, { displaylogo: false, responsive: true });
    };
    el("crossover-model").addEventListener("input", draw);
    draw();
  }

  controls();
  (el("front-table") ? Array.from(el("front-table").tBodies[0].rows) : []).forEach((tr) => {
    rowText[Number(tr.dataset.i)] = tr.textContent.toLowerCase();
    tr.addEventListener("click", (ev) => { if (ev.target.tagName !== "A") choose(Number(tr.dataset.i)); });
  });
  update();
  el("front-plot").on("plotly_click", (ev) => {
    const p = ev.points.find((q) => q.data.meta === "front");
    if (p) choose(p.customdata);
  });
  const first = D.headline ? R.findIndex((r) => r.trial === D.headline.trial && r.point === D.headline.point) : -1;
  if (R.length) choose(first >= 0 ? first : 0);
  baselines();
  faults();
  crossover();
})();
