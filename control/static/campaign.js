// Campaign detail: live status and progress over server-sent events.
(function () {
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
  });
})();
