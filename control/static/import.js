// Import progress: poll the job until it is done, then show the rejected rows.
(function () {
  const root = document.getElementById("import");
  if (!root) return;
  function set(id, value) { document.getElementById(id).textContent = value; }
  function poll() {
    fetch(root.dataset.status, {headers: {"Accept": "application/json"}, credentials: "same-origin"})
      .then(r => r.json()).then(function (job) {
        document.getElementById("import-bar").style.width = job.percent + "%";
        set("import-state", job.state); set("import-imported", job.imported);
        set("import-duplicates", job.duplicates); set("import-rejected", job.rejected);
        set("import-total", job.total); set("import-error", job.error || "");
        if (job.state === "done" || job.state === "failed") {
          if (job.rejected) window.location.reload();
        } else { setTimeout(poll, 400); }
      });
  }
  const state = document.getElementById("import-state").textContent;
  if (state !== "done" && state !== "failed") poll();
})();
