// Draws each holding's daily-yield chart from the JSON beside it (the table holds the same data).
(function () {
  function draw() {
    if (typeof window.Chart === "undefined") return;
    document.querySelectorAll("canvas.yield-chart").forEach(function (canvas) {
      var source = document.getElementById(canvas.dataset.series);
      if (!source) return;
      var data = JSON.parse(source.textContent);
      new window.Chart(canvas, {
        type: "bar",
        data: {
          labels: data.labels,
          datasets: [{ label: canvas.dataset.label, data: data.values.map(Number), backgroundColor: "#c0392b" }],
        },
        options: {
          animation: false,
          plugins: { legend: { display: false } },
          scales: { y: { beginAtZero: true } },
        },
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
