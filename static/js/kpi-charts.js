// Draws the KPI dashboard's charts from the JSON block (each chart's table holds the same data).
(function () {
  var COLOURS = ["#c0392b", "#2c3e50", "#16a085", "#8e44ad", "#d35400"];
  function draw() {
    if (typeof window.Chart === "undefined") return;
    var source = document.getElementById("kpi-chart-data");
    if (!source) return;
    var charts = JSON.parse(source.textContent);
    document.querySelectorAll("canvas.kpi-chart").forEach(function (canvas) {
      var chart = charts[canvas.dataset.chart];
      if (!chart) return;
      new window.Chart(canvas, {
        type: chart.type,
        data: {
          labels: chart.labels,
          datasets: chart.datasets.map(function (dataset, i) {
            return {
              label: dataset.label,
              data: dataset.data.map(Number),
              backgroundColor: COLOURS[i % COLOURS.length],
              borderColor: COLOURS[i % COLOURS.length],
            };
          }),
        },
        options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } } },
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
