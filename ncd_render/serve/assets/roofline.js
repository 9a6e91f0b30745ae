// The roofline chart beside the figure: attained FLOP/s against FLOP per HBM byte, one dot per kernel
// (its area the kernel's share of the time), under the roofs of the profile's peaks. Drawn as SVG.
"use strict";
(function () {
  const SVGNS = "http://www.w3.org/2000/svg";

  function svgEl(tag, attrs, text) {
    const node = document.createElementNS(SVGNS, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  window.ncdRoofline = function (box, cost, select) {
    if (!cost) { box.replaceChildren(); return; }
    const W = 420, H = 260, L = 46, R = 10, T = 10, B = 30;
    const p = cost.profile;
    const points = cost.kernels.map((k, i) => ({ k, i })).filter(({ k }) => k.intensity && k.time > 0 && k.flops > 0);
    const xs = points.map(({ k }) => k.intensity).concat([p.matmul_rate / p.hbm_bandwidth]);
    const ys = points.map(({ k }) => k.flops / k.time).concat([p.matmul_rate]);
    const lx0 = Math.floor(Math.log10(Math.min(...xs)) - 0.5), lx1 = Math.ceil(Math.log10(Math.max(...xs)) + 0.5);
    const ly0 = Math.floor(Math.log10(Math.min(...ys)) - 0.5), ly1 = Math.ceil(Math.log10(p.matmul_rate) + 0.2);
    const X = (v) => L + (Math.log10(v) - lx0) / (lx1 - lx0) * (W - L - R);
    const Y = (v) => T + (ly1 - Math.log10(v)) / (ly1 - ly0) * (H - T - B);
    const svg = svgEl("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "roofline" });
    for (let e = lx0; e <= lx1; e++) {
      svg.append(svgEl("line", { class: "grid", x1: X(10 ** e), x2: X(10 ** e), y1: T, y2: H - B }));
      svg.append(svgEl("text", { x: X(10 ** e), y: H - B + 12, "text-anchor": "middle" }, "1e" + e));
    }
    for (let e = ly0; e <= ly1; e++) {
      svg.append(svgEl("line", { class: "grid", x1: L, x2: W - R, y1: Y(10 ** e), y2: Y(10 ** e) }));
      svg.append(svgEl("text", { x: L - 4, y: Y(10 ** e) + 3, "text-anchor": "end" }, "1e" + e));
    }
    svg.append(svgEl("text", { x: (L + W - R) / 2, y: H - 4, "text-anchor": "middle" }, "FLOP per HBM byte"));
    svg.append(svgEl("text", { x: 10, y: (T + H - B) / 2, transform: "rotate(-90 10 " + (T + H - B) / 2 + ")", "text-anchor": "middle" }, "FLOP/s"));
    const same = Math.abs(p.matmul_rate / p.vector_rate - 1) < 0.15;  // fp32: one roof for both
    const roofs = same ? [[p.matmul_rate, "peak"]] : [[p.matmul_rate, "matmul peak"], [p.vector_rate, "other peak"]];
    for (const [peak, label] of roofs) {
      const ridge = peak / p.hbm_bandwidth;
      const a = 10 ** lx0, b = 10 ** lx1;
      const start = Math.max(a, 10 ** ly0 / p.hbm_bandwidth);  // where the bandwidth roof enters the chart: one slope for every roof
      const pts = [[start, start * p.hbm_bandwidth], [ridge, peak], [b, peak]].filter(([x]) => x >= a && x <= b);
      svg.append(svgEl("polyline", { class: "roof", points: pts.map(([x, y]) => X(x) + "," + Y(y)).join(" ") }));
      svg.append(svgEl("text", { class: "roof-label", x: W - R - 2, y: Y(peak) - 3, "text-anchor": "end" }, label));
    }
    const total = cost.total.time || 1;
    for (const { k, i } of points) {
      const c = svgEl("circle", { class: "dot " + k.bound, "data-kernel": String(i), cx: X(k.intensity), cy: Y(k.flops / k.time),
                                  r: 3 + 9 * Math.sqrt(k.time / total) });
      c.append(svgEl("title", {}, k.name + ": " + k.text.time));
      c.addEventListener("click", () => select(i));
      svg.append(c);
    }
    box.replaceChildren(svg);
  };
})();
