/* Monthly trend charts on the pair page, drawn with uPlot (vendored from npm: uplot 1.6.32).
 * Each .ins-chart reads its data from the json_script named by data-source: x (epoch
 * seconds of each month) and, per chart, series with monthly values and a trend line.
 * Why uPlot: 51 KB minified with no dependencies, canvas drawing that renders a year of
 * monthly points in a millisecond, and a plain look that suits the house style; Chart.js
 * (~200 KB) and ECharts (~1 MB) cost more bytes and start-up for the same line charts.
 * The charts are decoration for sighted readers: the same numbers are in the table
 * below them, so the chart containers are aria-hidden. */
(function () {
  "use strict";
  var COLOURS = ["#1f5f99", "#b35900", "#2e7d32"];

  function build(el) {
    var source = document.getElementById(el.dataset.source);
    if (!source || typeof uPlot === "undefined") return;
    var data = JSON.parse(source.textContent);
    var chart = data.charts[el.dataset.chart];
    var columns = [data.x];
    var series = [{}];
    chart.series.forEach(function (s, i) {
      var colour = COLOURS[i % COLOURS.length];
      columns.push(s.values);
      series.push({label: s.label, stroke: colour, width: 2, spanGaps: false, points: {size: 5, fill: colour}});
      columns.push(s.trend);
      series.push({label: s.label + " (trend)", stroke: colour, width: 1, dash: [6, 4], points: {show: false}});
    });
    var opts = {
      width: Math.max(260, el.clientWidth),
      height: 200,
      legend: {show: false},
      cursor: {drag: {x: false, y: false}},
      scales: {x: {time: true}},
      axes: [
        {stroke: "#444", grid: {stroke: "#e3e7ec"}, values: "{MMM} {YY}"},
        {stroke: "#444", grid: {stroke: "#e3e7ec"}, size: 48, label: chart.unit, labelSize: 16}
      ],
      series: series
    };
    el.textContent = "";
    var plot = new uPlot(opts, columns, el);
    window.addEventListener("resize", function () {
      plot.setSize({width: Math.max(260, el.clientWidth), height: 200});
    });
  }

  function start() {
    document.querySelectorAll(".ins-chart").forEach(build);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
