// Campaign detail: live status, progress and pacing over server-sent events.
(function () {
  function formatted(value, format) {
    if (value === undefined || value === null) return "\u2014";
    if (format === "percent") return (100 * value).toFixed(1) + " %";
    if (format === "seconds") return Number(value).toFixed(1) + " s";
    if (format === "fraction") return Number(value).toFixed(3);
    if (format === "bool") return value ? "yes" : "no";
    return String(value);
  }
  function showPacing(pacing) {
    if (!pacing) return;
    document.querySelectorAll("[data-pacing]").forEach(function (el) {
      const value = el.dataset.pacing.split(".").reduce(function (o, k) { return o == null ? undefined : o[k]; }, pacing);
      el.textContent = formatted(value, el.dataset.format);
    });
    const idle = document.getElementById("pacing-idle");
    if (idle) idle.hidden = !!pacing.decision;
  }
  const root = document.getElementById("campaign");
  if (!root || !window.EventSource) return;
  const source = new EventSource(root.dataset.progress);
  source.addEventListener("snapshot", function (e) {
    const data = JSON.parse(e.data);
    document.getElementById("campaign-status").textContent = data.status;
    const c = data.contacts, total = c.total || 0;
    const finished = (c.done || 0) + (c.failed || 0) + (c.dnc || 0);
    document.getElementById("progress-bar").style.width = (total ? Math.round(100 * finished / total) : 0) + "%";
    document.getElementById("progress-counts").textContent = Object.keys(c).filter(k => k !== "total")
      .map(k => k + ": " + c[k]).concat(["total: " + total]).join(" · ");
    showPacing(data.pacing);
  });
})();
