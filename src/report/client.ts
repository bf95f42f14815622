/**
 * The browser side of report.html, kept as a string: it is inlined into the page as it is (no bundler, no
 * transform that could add helpers the page lacks), so it is plain ES2020 that runs in any current browser.
 *
 * It reads the chart model from `<script type="application/json" id="faultline-data">` and draws, with uPlot,
 * one group of charts per load runner (throughput, error rate, latency) and a strip of monitor up/down bands,
 * all on one x axis (seconds since the run started, from the first data on) with the cursor synchronised. Fault windows are drawn by a
 * plugin under the series and labelled on the top chart; phase boundaries are dashed lines. Everything else in
 * the report is static HTML and needs no script.
 */
export const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var model = JSON.parse(document.getElementById('faultline-data').textContent);
  var root = document.getElementById('charts');
  var FAULT_COLORS = ['#e8a33d', '#8e6bd8', '#2ba4a0', '#d9607a', '#5b8def', '#9a8f3a'];
  var Y_AXIS = 100;
  var charts = [];

  function faultColor(i, alpha) {
    var hex = FAULT_COLORS[i % FAULT_COLORS.length];
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + (n >> 16) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + alpha + ')';
  }

  function width() {
    return Math.max(320, root.clientWidth);
  }

  // Fault windows under the series, phase boundaries over them; labels only where asked (the top chart).
  function bandsPlugin(labelled) {
    return {
      hooks: {
        drawClear: [
          function (u) {
            var ctx = u.ctx;
            var top = u.bbox.top;
            var h = u.bbox.height;
            ctx.save();
            model.faults.forEach(function (f, i) {
              var x0 = u.valToPos(f.start, 'x', true);
              var x1 = u.valToPos(f.end, 'x', true);
              ctx.fillStyle = faultColor(i, 0.16);
              ctx.fillRect(x0, top, Math.max(x1 - x0, 2 * uPlot.pxRatio), h);
            });
            ctx.restore();
          },
        ],
        draw: [
          function (u) {
            var ctx = u.ctx;
            var px = uPlot.pxRatio;
            var top = u.bbox.top;
            var h = u.bbox.height;
            ctx.save();
            ctx.strokeStyle = 'rgba(60,60,70,0.45)';
            ctx.lineWidth = px;
            ctx.setLineDash([4 * px, 4 * px]);
            model.phases.forEach(function (p, i) {
              if (i === 0) return;
              var x = Math.round(u.valToPos(p.start, 'x', true)) + 0.5;
              ctx.beginPath();
              ctx.moveTo(x, top);
              ctx.lineTo(x, top + h);
              ctx.stroke();
            });
            ctx.setLineDash([]);
            // A solid edge on top of each fault window, over the grid.
            model.faults.forEach(function (f, i) {
              var x0 = u.valToPos(f.start, 'x', true);
              var x1 = u.valToPos(f.end, 'x', true);
              ctx.fillStyle = faultColor(i, 0.9);
              ctx.fillRect(x0, top, Math.max(x1 - x0, 2 * px), 3 * px);
            });
            if (labelled) {
              // uPlot leaves its own alignment on the context after drawing axes.
              ctx.textAlign = 'left';
              ctx.font = 600 * 1 + ' ' + 11 * px + 'px system-ui, sans-serif';
              ctx.textBaseline = 'top';
              var lastRight = -Infinity;
              var row = 0;
              model.faults.forEach(function (f, i) {
                var x0 = u.valToPos(f.start, 'x', true) + 4 * px;
                var label = f.name + (f.open ? ' (not reverted)' : '');
                var w = ctx.measureText(label).width;
                row = x0 < lastRight + 6 * px ? row + 1 : 0;
                lastRight = x0 + w;
                var y = top + (6 + row * 15) * px;
                ctx.fillStyle = 'rgba(255,255,255,0.85)';
                ctx.fillRect(x0 - 2 * px, y - px, w + 4 * px, 14 * px);
                ctx.fillStyle = faultColor(i, 1);
                ctx.fillText(label, x0, y);
              });
              ctx.font = 11 * px + 'px system-ui, sans-serif';
              ctx.fillStyle = 'rgba(60,60,70,0.6)';
              ctx.textBaseline = 'bottom';
              model.phases.forEach(function (p) {
                var x = u.valToPos(p.start, 'x', true) + 4 * px;
                ctx.fillText(p.name, x, top + h - 4 * px);
              });
            }
            ctx.restore();
          },
        ],
      },
    };
  }

  function xAxis(show) {
    return {
      show: true,
      size: show ? 40 : 8,
      values: show
        ? function (u, splits) {
            return splits.map(function (s) {
              return s + ' s';
            });
          }
        : function (u, splits) {
            return splits.map(function () {
              return '';
            });
          },
      grid: { stroke: '#eceef2' },
      ticks: { show: show },
    };
  }

  function yAxis(label, fmt) {
    return {
      size: Y_AXIS,
      label: label,
      labelSize: 18,
      grid: { stroke: '#eceef2' },
      values: function (u, splits) {
        // Log scales leave null in the splits they skip.
        return splits.map(function (v) {
          return v == null ? '' : fmt(v);
        });
      },
    };
  }

  function common(title, height, labelled, lastChart) {
    return {
      title: title,
      width: width(),
      height: height,
      cursor: { sync: { key: 'faultline' }, drag: { x: false, y: false } },
      scales: {
        x: {
          time: false,
          range: function () {
            return [model.start, model.end];
          },
        },
      },
      plugins: [bandsPlugin(labelled)],
      axes: [xAxis(lastChart)],
    };
  }

  function add(opts, data) {
    var el = document.createElement('div');
    el.className = 'chart';
    root.appendChild(el);
    charts.push(new uPlot(opts, data, el));
  }

  function offset(v) {
    return '+' + v.toFixed(1) + ' s';
  }

  // Not hovering, the legend shows the span the chart covers rather than a bare "time: –".
  function xSeries() {
    return {
      label: 'time',
      value: function (u, v) {
        if (v != null) return offset(v);
        var x = u.scales.x;
        return x.min == null || x.max == null ? '' : offset(x.min) + ' → ' + offset(x.max);
      },
    };
  }

  var num = function (d) {
    return function (u, v) {
      return v == null ? '–' : v.toFixed(d);
    };
  };

  // The rule of formatPercent (src/core/percent.ts) for values already in %: no space, one decimal from 10 up.
  function pct(v) {
    if (v === 0 || v === 100) return v + '%';
    if (v > 0 && v < 0.005) return '<0.01%';
    if (v >= 99.95 && v < 100) return '99.9%';
    return (v >= 10 ? v.toFixed(1) : v.toFixed(2)) + '%';
  }

  model.loads.forEach(function (l, li) {
    var prefix = model.loads.length > 1 ? l.name + ': ' : '';
    var first = li === 0;
    var o = common(prefix + 'Throughput (requests per second)', 190, first, false);
    o.scales.y = { range: function (u, min, max) { return [0, Math.max(1, max * 1.1)]; } };
    o.series = [
      xSeries(),
      { label: 'ok/s', points: { show: false }, stroke: '#2e9e5b', width: 2, fill: 'rgba(46,158,91,0.10)', value: num(0) },
      { label: 'failed/s', points: { show: false }, stroke: '#d64545', width: 2, value: num(0) },
    ];
    o.axes.push(yAxis('req/s', function (v) { return String(v); }));
    add(o, [l.x, l.ok, l.failed]);

    o = common(prefix + 'Error rate', 150, false, false);
    o.scales.y = { range: function (u, min, max) { return [0, Math.max(1, Math.min(100, max * 1.15))]; } };
    o.series = [
      xSeries(),
      { label: 'error rate', points: { show: false }, stroke: '#d64545', width: 2, fill: 'rgba(214,69,69,0.10)', value: function (u, v) { return v == null ? '–' : pct(v); } },
    ];
    o.axes.push(yAxis('%', function (v) { return v + '%'; }));
    add(o, [l.x, l.err]);

    var last = li === model.loads.length - 1 && model.monitors.length === 0;
    o = common(prefix + 'Latency (ms, log scale)', 190, false, last);
    o.scales.y = { distr: 3, log: 10 };
    o.series = [
      xSeries(),
      { label: 'p50', points: { show: false }, stroke: '#5b8def', width: 2, value: num(2) },
      { label: 'p99', points: { show: false }, stroke: '#8e3bd8', width: 2, value: num(1) },
    ];
    o.axes.push(yAxis('ms', function (v) { return v >= 1 ? String(v) : v.toPrecision(1); }));
    add(o, [l.x, l.p50, l.p99]);
  });

  if (model.monitors.length > 0) {
    var rowH = 26;
    var o = common('Monitors (green up, red down)', model.monitors.length * rowH + 58, model.loads.length === 0, true);
    o.legend = { show: false };
    o.scales.y = { range: function () { return [0, model.monitors.length]; } };
    o.series = [{}];
    o.axes.push({ size: Y_AXIS, labelSize: 18, label: ' ', values: function () { return []; }, grid: { show: false }, ticks: { show: false } });
    o.plugins.push({
      hooks: {
        draw: [
          function (u) {
            var ctx = u.ctx;
            var px = uPlot.pxRatio;
            ctx.save();
            model.monitors.forEach(function (m, i) {
              var y0 = u.valToPos(model.monitors.length - i, 'y', true);
              var y1 = u.valToPos(model.monitors.length - i - 1, 'y', true);
              var pad = 3 * px;
              m.s.forEach(function (s, k) {
                var next = k + 1 < m.s.length ? m.s[k + 1][0] : model.end;
                var x0 = u.valToPos(s[0], 'x', true);
                var x1 = u.valToPos(next, 'x', true);
                ctx.fillStyle = s[1] ? '#59b37a' : '#d64545';
                ctx.fillRect(x0, y0 + pad, Math.max(x1 - x0, px), y1 - y0 - 2 * pad);
              });
              // The name goes in the y-axis gutter, shortened to fit it.
              ctx.font = 600 + ' ' + 11 * px + 'px system-ui, sans-serif';
              ctx.textBaseline = 'middle';
              ctx.textAlign = 'right';
              var label = m.name;
              var room = u.bbox.left - 10 * px;
              while (label.length > 2 && ctx.measureText(label).width > room) label = label.slice(0, -2) + '…';
              ctx.fillStyle = '#1f2430';
              ctx.fillText(label, u.bbox.left - 8 * px, (y0 + y1) / 2);
            });
            ctx.restore();
          },
        ],
      },
    });
    add(o, [[model.start, model.end]]);
  }

  // data-chart-width says which width the charts were last drawn at: a resize redraws them a frame later
  function drawnAt(w) {
    document.documentElement.setAttribute('data-chart-width', String(w));
  }
  var pending = 0;
  window.addEventListener('resize', function () {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(function () {
      var w = width();
      charts.forEach(function (c) {
        c.setSize({ width: w, height: c.height });
      });
      drawnAt(w);
    });
  });
  drawnAt(width());
  document.documentElement.setAttribute('data-charts', String(charts.length));
})();
`;
