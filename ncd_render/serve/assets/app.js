// ncd serve / ncd html: the live figure, its hover cards, the kernel table and the roofline.
// Every text from the diagram goes into the page through textContent, never as markup.
"use strict";
(function () {
  const $ = (id) => document.getElementById(id);
  const embedded = $("ncd-data");
  const data = embedded ? JSON.parse(embedded.textContent) : null;  // ncd html: every view is in the page
  const ADVICE_AFTER_MS = 700;
  const state = { hw: null, dtype: null, sizes: {}, toggle: new Set(), view: null, selected: null,
                  sort: { key: null, up: true }, version: 0, shown: -1, busy: false, advice: null, advising: false };

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, v);
    for (const c of children) node.append(c);
    return node;
  }

  // -- getting views --------------------------------------------------------------
  function query() {
    const p = new URLSearchParams();
    if (state.hw) p.set("hw", state.hw);
    if (state.dtype) p.set("dtype", state.dtype);
    const sizes = Object.entries(state.sizes).map(([a, n]) => a + "=" + n).join(",");
    if (sizes) p.set("sizes", sizes);
    if (state.toggle.size) p.set("toggle", [...state.toggle].sort().join(","));
    return p;
  }

  async function getView() {
    if (!data) {
      const response = await fetch("view.json?" + query().toString(), { cache: "no-store" });
      return response.json();
    }
    const t = [...state.toggle].sort().join(",");
    const figure = data.figures[t];
    if (!figure) return { ok: false, error: "this file holds the figure with one component changed at a time; run 'ncd serve' to change more" };
    const hw = state.hw || data.hw, dtype = state.dtype || data.dtype;
    const cost = figure.costs[hw + "|" + dtype] ||
      { hw, dtype, cost: null, notes: [], cost_error: "this file holds the cost of a changed component at " + data.dtype + " only; run 'ncd serve' for more" };
    return Object.assign({}, figure.view, cost);
  }

  // The fusion plan (ncd cost --suggest) searches for seconds on a big diagram: asked for after the figure shows.
  function adviceKey() {
    const p = query();
    p.delete("toggle");
    return state.version + "?" + p.toString();
  }

  async function askAdvice() {
    if (data) {
      const key = state.hw + "|" + state.dtype;
      state.advice = { key: adviceKey(), notes: data.advice.key === key ? data.advice.notes : [{ kind: "fuse-none",
        text: "this file holds the fusion plan at " + data.advice.key.replace("|", ", ") + "; 'ncd cost --suggest' gives it for others" }] };
      notes(state.view);
      return;
    }
    if (state.advising) return;
    state.advising = true;
    try {
      let key;
      do {
        key = adviceKey();
        const p = query();
        p.delete("toggle");
        const answer = await (await fetch("advice.json?" + p.toString(), { cache: "no-store" })).json();
        if (key === adviceKey() && !answer.stale) { state.advice = { key, notes: answer.ok ? answer.notes : [] }; notes(state.view); }
      } while (key !== adviceKey());
    } finally {
      state.advising = false;
    }
  }

  async function refresh() {
    if (state.busy) { state.again = true; return; }
    state.busy = true;
    try {
      do {
        state.again = false;
        const wanted = state.version;
        const view = await getView();
        show(view);
        state.shown = wanted;
      } while (state.again || state.shown < state.version);
    } catch (e) {
      showError(String(e));
    } finally {
      state.busy = false;
    }
  }

  // -- showing a view -------------------------------------------------------------
  function show(view) {
    if (!view.ok) { showError(view.error); return; }
    $("error").hidden = true;
    $("figure").classList.remove("stale");
    state.view = view;
    state.hw = view.hw; state.dtype = view.dtype;
    document.title = (view.title || view.file) + " · ncd";
    $("title").textContent = view.title || "untitled";
    $("file").textContent = view.file;
    putFigure(view.svg);
    controls(view);
    if (!view.cost) state.advice = { key: adviceKey(), notes: [] };  // the cost's own error says it all
    else if (!state.advice || state.advice.key !== adviceKey()) state.advice = null;
    notes(view);
    clearTimeout(state.adviceTimer);  // the search starts once the file has rested a moment, not during a run of saves
    if (!state.advice) state.adviceTimer = setTimeout(askAdvice, data ? 0 : ADVICE_AFTER_MS);
    table(view);
    roofline(view);
    select(state.selected && view.cost && state.selected < view.cost.kernels.length ? state.selected : null);
    $("status").textContent = "updated " + new Date().toLocaleTimeString();
    document.body.dataset.version = String(state.version);
  }

  function showError(text) {
    $("error").hidden = false;
    $("error-text").textContent = text;
    $("figure").classList.add("stale");
    $("status").textContent = "error, showing the last good figure";
  }

  function putFigure(svgText) {
    const parsed = new DOMParser().parseFromString(svgText, "image/svg+xml");
    const svg = parsed.documentElement;
    if (svg.nodeName !== "svg") return;
    for (const bad of svg.querySelectorAll("script, foreignObject, a, use")) bad.remove();
    for (const node of svg.querySelectorAll("*")) {
      for (const attr of [...node.attributes]) if (/^on/i.test(attr.name) || /href$/i.test(attr.name)) node.removeAttribute(attr.name);
    }
    const figure = $("figure");
    const natural = parseFloat(svg.getAttribute("width")) * 4 / 3;  // pt -> CSS px
    figure.replaceChildren(document.importNode(svg, true));
    if (natural > 0) figure.firstChild.style.maxWidth = Math.round(natural * 1.75) + "px";  // a small figure is not blown up
    const shown = figure.querySelector("svg");
    for (const wire of shown.querySelectorAll(".ncd-wire[data-axis]")) {  // a wider, unseen twin under each wire takes the mouse
      const hit = wire.cloneNode(false);
      hit.setAttribute("class", "ncd-wire-hit");
      hit.setAttribute("stroke", "transparent");
      hit.setAttribute("stroke-width", "7");
      wire.before(hit);
    }
    markComponents(shown);
  }

  // A component's frame is the smallest section box around all its boxes: clicking it (or its title) collapses it.
  function markComponents(svg) {
    const view = state.view;
    const frames = [...svg.querySelectorAll(".ncd-section")].map((r) => ({ r, b: r.getBBox() }));
    const titles = [...svg.querySelectorAll(".ncd-label-title")].map((t) => ({ t, b: t.getBBox() }));
    for (const [key, comp] of Object.entries(view.components)) {
      const ids = Object.values(view.ops).filter((o) => o.component === key).map((o) => o.id);
      if (comp.collapsed) {
        for (const id of ids) for (const node of svg.querySelectorAll('[data-op="' + id + '"]')) node.classList.add("ncd-collapsed");
        continue;
      }
      const boxes = ids.flatMap((id) => [...svg.querySelectorAll('[data-op="' + id + '"]:not(g)')]).map((n) => n.getBBox());  // a box's group also holds its output wires
      if (!boxes.length) continue;
      const u = { x0: Math.min(...boxes.map((b) => b.x)), y0: Math.min(...boxes.map((b) => b.y)),
                  x1: Math.max(...boxes.map((b) => b.x + b.width)), y1: Math.max(...boxes.map((b) => b.y + b.height)) };
      const around = frames.filter(({ b }) => b.x <= u.x0 && b.y <= u.y0 && b.x + b.width >= u.x1 && b.y + b.height >= u.y1)
        .sort((a, b) => a.b.width * a.b.height - b.b.width * b.b.height)[0];
      if (!around || around.r.dataset.component) continue;
      around.r.dataset.component = key;
      const title = titles.filter(({ b }) => b.x >= around.b.x && b.x <= around.b.x + 10 && b.y >= around.b.y - 1 && b.y <= around.b.y + 14)[0];
      if (title) title.t.dataset.component = key;
    }
  }

  function toggle(key) {
    if (state.toggle.has(key)) state.toggle.delete(key); else state.toggle.add(key);
    hideTip();
    refresh();
  }

  // -- controls ---------------------------------------------------------------------
  function controls(view) {
    const hw = $("hw"), dtype = $("dtype");
    if (hw.options.length !== view.profiles.length) {
      hw.replaceChildren(...view.profiles.map((p) => el("option", { value: p }, p)));
      dtype.replaceChildren(...view.dtypes.map((d) => el("option", { value: d }, d)));
    }
    hw.value = view.hw; dtype.value = view.dtype;
    const sizes = $("sizes");
    const names = view.settable.join(" ");
    if (sizes.dataset.names !== names) {
      sizes.dataset.names = names;
      sizes.replaceChildren(...view.settable.map((a) => {
        const input = el("input", { type: "number", min: "1", step: "1", "data-axis": a });
        if (data) { input.disabled = true; input.title = "sizes change with 'ncd serve'"; }
        return el("label", {}, a + " = ", input);
      }));
    }
    for (const input of sizes.querySelectorAll("input")) {
      if (document.activeElement !== input) input.value = view.axes[input.dataset.axis] ?? "";
    }
  }

  function wireControls() {
    $("hw").addEventListener("change", (e) => { state.hw = e.target.value; refresh(); });
    $("dtype").addEventListener("change", (e) => { state.dtype = e.target.value; refresh(); });
    let timer = null;
    $("sizes").addEventListener("input", (e) => {
      const input = e.target;
      if (!/^[0-9]+$/.test(input.value)) return;
      state.sizes[input.dataset.axis] = input.value;
      clearTimeout(timer);
      timer = setTimeout(refresh, 250);
    });
  }

  // -- notes, table, roofline ------------------------------------------------------
  function notes(view) {
    const list = $("notes-list");
    const items = [];
    if (view.cost_error) items.push(el("li", { class: "error" }, view.cost_error));
    const advice = state.advice ? state.advice.notes : [{ kind: "searching", text: "searching for boxes worth fusing…" }];
    for (const note of view.notes.concat(advice)) {
      const li = el("li", { "data-kind": note.kind, class: note.kind === "searching" ? "muted" : note.kind === "error" ? "error" : "" }, note.text);
      const ops = note.ops || (note.lines ? Object.values(view.ops).filter((o) => o.line >= note.lines[0] && o.line <= note.lines[1]).map((o) => o.id) : []);
      if (ops.length) li.addEventListener("click", () => selectOps(ops));
      items.push(li);
    }
    list.replaceChildren(...items);
  }

  const COLUMNS = [["name", "box"], ["kind", "kind"], ["flops", "FLOPs"], ["hbm_bytes", "HBM bytes"],
                   ["intensity", "FLOP/B"], ["time", "time"], ["bound", "bound"]];

  function cell(k, key) {
    if (key === "name") return k.times > 1 ? k.name + " ×" + k.times : k.name;
    return k.text[key] ?? k[key];
  }

  function table(view) {
    const head = $("kernels-head"), body = $("kernels-body"), foot = $("kernels-foot");
    if (!head.children.length) {
      head.append(el("tr", {}, ...COLUMNS.map(([key, title]) => {
        const th = el("th", { "data-key": key }, title);
        th.addEventListener("click", () => {
          state.sort = { key, up: state.sort.key === key ? !state.sort.up : key === "name" || key === "kind" || key === "bound" };
          table(state.view);
        });
        return th;
      })));
    }
    for (const th of head.querySelectorAll("th")) {
      th.classList.toggle("sorted-up", state.sort.key === th.dataset.key && state.sort.up);
      th.classList.toggle("sorted-down", state.sort.key === th.dataset.key && !state.sort.up);
    }
    if (!view.cost) { body.replaceChildren(); foot.replaceChildren(); return; }
    const order = view.cost.kernels.map((k, i) => i);
    const key = state.sort.key;
    if (key) {
      order.sort((a, b) => {
        const x = view.cost.kernels[a][key] ?? Infinity, y = view.cost.kernels[b][key] ?? Infinity;
        const c = typeof x === "string" ? x.localeCompare(y) : x - y;
        return state.sort.up ? c : -c;
      });
    }
    body.replaceChildren(...order.map((i) => {
      const k = view.cost.kernels[i];
      const tr = el("tr", { "data-kernel": String(i) }, ...COLUMNS.map(([key]) => el("td", {}, String(cell(k, key)))));
      tr.addEventListener("click", () => select(i));
      return tr;
    }));
    const t = view.cost.total;
    foot.replaceChildren(el("tr", {}, el("td", {}, "total"), el("td", {}, t.kernels + (t.kernels === 1 ? " kernel" : " kernels")), el("td", {}, t.text.flops),
                                el("td", {}, t.text.hbm_bytes), el("td", {}, ""), el("td", {}, t.text.time), el("td", {}, "")));
    $("profile").textContent = view.cost.profile.name + ", " + view.cost.dtype;
  }

  function roofline(view) {
    window.ncdRoofline($("roofline-chart"), view.cost, select);
  }

  // -- selection, shared by the figure, the table and the roofline -----------------
  function mark(ops, picked) {
    const ids = new Set(ops.map(String)), rows = new Set(picked.map(String));
    for (const node of document.querySelectorAll("#figure [data-op]")) node.classList.toggle("ncd-selected", ids.has(node.dataset.op));
    for (const tr of document.querySelectorAll("#kernels-body tr")) tr.classList.toggle("selected", rows.has(tr.dataset.kernel));
    for (const dot of document.querySelectorAll("#roofline .dot")) dot.classList.toggle("selected", rows.has(dot.dataset.kernel));
  }

  function select(i) {
    state.selected = i;
    const kernel = i === null || !state.view.cost ? null : state.view.cost.kernels[i];
    mark(kernel ? kernel.ops : [], kernel ? [i] : []);
  }

  function selectOps(ops) {  // a note's boxes, and the kernels they run in
    const kernels = state.view.cost ? state.view.cost.kernels : [];
    const picked = kernels.map((k, i) => (k.ops.some((o) => ops.includes(o)) ? i : -1)).filter((i) => i >= 0);
    state.selected = picked.length === 1 ? picked[0] : null;
    mark(ops, picked);
  }

  function kernelOf(opId) {
    const kernels = state.view.cost ? state.view.cost.kernels : [];
    for (let i = 0; i < kernels.length; i++) {
      const k = kernels[i];
      if (k.kind === "fused") {
        const part = k.parts.find((p) => p.ops.includes(opId));
        if (part) return { i, kernel: k, part };
      } else if (k.ops.includes(opId)) return { i, kernel: k, part: null };
    }
    return null;
  }

  // -- hover cards -------------------------------------------------------------------
  function shape(t) {
    return (t.name || "·") + "[" + t.axes.join(" ") + "] " + t.shape.map((n) => n ?? "?").join("×");
  }

  function card(op) {
    const rows = [];
    const add = (term, field, value) => rows.push(el("dt", {}, term), el("dd", { "data-field": field }, String(value)));
    add("box", "name", op.name + " (" + op.kind + ")");
    add("takes", "inputs", op.inputs.map(shape).join(", ") || "-");
    add("makes", "outputs", op.outputs.map(shape).join(", ") || "-");
    const found = kernelOf(op.id);
    if (found && !found.part) {
      const k = found.kernel;
      add("FLOPs", "flops", k.text.flops);
      add("HBM bytes", "hbm_bytes", k.text.hbm_bytes);
      add("FLOP/B", "intensity", k.text.intensity);
      for (const level of k.levels) add(level.level, "level:" + level.level, level.text);
      add("time", "time", k.text.time);
      add("bound", "bound", k.bound);
    } else if (found) {
      const k = found.kernel;
      add("FLOPs", "flops", found.part.text.flops);
      add("HBM bytes", "hbm_bytes", "0 B (on chip, in '" + k.name + "')");
      add("shared memory", "shared_bytes", k.plan ? k.plan.text.shared_bytes + " per group" : "-");
      add("fused kernel", "kernel", k.text.hbm_bytes + " HBM, " + k.text.time + ", " + k.bound + "-bound");
      for (const level of k.levels) add(level.level, "level:" + level.level, level.text);
      add("bound", "bound", found.part.bound);
    } else {
      add("cost", "bound", state.view.cost ? "moves nothing (no kernel)" : "no cost report");
    }
    const hint = op.collapsed ? "click to expand this component" : op.component ? "click the component's frame or title to collapse it" : "";
    return [el("div", { class: "statement", "data-field": "statement" }, (op.line ? "line " + op.line + ": " : "") + op.statement),
            el("dl", {}, ...rows)].concat(hint ? [el("div", { class: "hint" }, hint)] : []);
  }

  function showTip(event, children) {
    const tip = $("tooltip");
    tip.replaceChildren(...children);
    tip.hidden = false;
    const x = Math.min(event.clientX + 14, window.innerWidth - tip.offsetWidth - 6);
    const y = Math.min(event.clientY + 14, window.innerHeight - tip.offsetHeight - 6);
    tip.style.left = Math.max(0, x) + "px";
    tip.style.top = Math.max(0, y) + "px";
  }

  function hideTip() {
    $("tooltip").hidden = true;
    for (const n of document.querySelectorAll("#figure .ncd-hover")) n.classList.remove("ncd-hover");
  }

  function wireFigure() {
    const figure = $("figure");
    figure.addEventListener("mouseover", (event) => {
      const target = event.target.closest("[data-op], [data-axis], [data-component]");
      if (!target || !state.view) { hideTip(); return; }
      hideTip();
      if (target.dataset.op && state.view.ops[target.dataset.op]) {
        for (const n of figure.querySelectorAll('[data-op="' + target.dataset.op + '"]')) n.classList.add("ncd-hover");
        showTip(event, card(state.view.ops[target.dataset.op]));
      } else if (target.dataset.axis) {
        const size = state.view.axes[target.dataset.axis];
        showTip(event, [el("div", { "data-field": "axis" }, "axis " + target.dataset.axis + " = " + (size ?? "?"))]);
      } else if (target.dataset.component) {
        const comp = state.view.components[target.dataset.component];
        showTip(event, [el("div", { "data-field": "component" }, comp.title + " (line " + comp.line + "): click to collapse")]);
      }
    });
    figure.addEventListener("mouseleave", hideTip);
    figure.addEventListener("click", (event) => {
      const target = event.target.closest("[data-op], [data-component]");
      if (!target || !state.view) return;
      if (target.dataset.component) { toggle(target.dataset.component); return; }
      const op = state.view.ops[target.dataset.op];
      if (!op) return;
      if (op.collapsed) { toggle(op.component); return; }
      const found = kernelOf(op.id);
      select(found ? found.i : null);
    });
  }

  // -- start -------------------------------------------------------------------------
  wireControls();
  wireFigure();
  if (data) {
    state.hw = data.hw; state.dtype = data.dtype;
    refresh();
  } else {
    const events = new EventSource("events");
    events.addEventListener("change", (e) => { state.version = Number(e.data); refresh(); });
    refresh();
  }
})();
