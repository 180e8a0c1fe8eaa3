/* Revenue dashboard: draws the charts with the vendored Chart.js from the JSON the page embeds.
 *
 * The page carries every figure (and its translated labels) in <script type="application/json"
 * id="revenue-data">, so nothing is fetched and no inline script is needed (the CSP allows scripts
 * from 'self' only). The tables beside the charts hold the same figures for readers without
 * JavaScript or with a screen reader.
 */
(function () {
  "use strict";
  var source = document.getElementById("revenue-data");
  if (!source || typeof window.Chart === "undefined") {
    return;
  }
  var data;
  try {
    data = JSON.parse(source.textContent || "{}");
  } catch (e) {
    return;
  }
  var rtl = document.documentElement.getAttribute("dir") === "rtl";
  var colors = ["#337ab7", "#f0ad4e", "#5cb85c", "#d9534f", "#5bc0de", "#777777"];
  var locale = document.documentElement.getAttribute("lang") || "en";
  // Latin digits, as the server formats the cards.
  var numbers = new Intl.NumberFormat(locale + "-u-nu-latn", { maximumFractionDigits: 2 });

  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  window.Chart.defaults.locale = locale + "-u-nu-latn";

  function legend() {
    return { position: "bottom", rtl: rtl, textDirection: rtl ? "rtl" : "ltr" };
  }

  function tooltip() {
    return { rtl: rtl, textDirection: rtl ? "rtl" : "ltr" };
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) {
      new window.Chart(canvas, config);
    }
  }

  function withColors(datasets, fill) {
    return (datasets || []).map(function (set, i) {
      return Object.assign({}, set, {
        backgroundColor: colors[i % colors.length],
        borderColor: colors[i % colors.length],
        fill: fill
      });
    });
  }

  function countAxis(stacked) {
    return { stacked: stacked, beginAtZero: true, ticks: { precision: 0 } };
  }

  if (data.plans) {
    draw("chart-plans", {
      type: "bar",
      data: { labels: data.plans.labels, datasets: withColors(data.plans.datasets, false) },
      options: {
        maintainAspectRatio: false,
        plugins: { legend: legend(), tooltip: tooltip() },
        scales: { x: { stacked: true, reverse: rtl }, y: countAxis(true) }
      }
    });
  }

  if (data.mix) {
    draw("chart-mix", {
      type: "doughnut",
      data: {
        labels: data.mix.labels,
        datasets: [{ data: data.mix.data, backgroundColor: [colors[1], colors[0]] }]
      },
      options: { maintainAspectRatio: false, plugins: { legend: legend(), tooltip: tooltip() } }
    });
  }

  if (data.daily) {
    // Stacked bars: each day's height is its total, split into subscriptions and purchases.
    draw("chart-daily", {
      type: "bar",
      data: { labels: data.daily.labels, datasets: withColors(data.daily.datasets, false) },
      options: {
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        plugins: { legend: legend(), tooltip: tooltip() },
        scales: {
          x: { stacked: true, reverse: rtl },
          y: {
            stacked: true,
            beginAtZero: true,
            position: rtl ? "right" : "left",
            ticks: {
              callback: function (value) {
                return numbers.format(value);
              }
            }
          }
        }
      }
    });
  }
})();
