// Supervisor wallboard: rows follow agent.state events; snapshots refresh everything.
(function () {
  const board = document.getElementById("wallboard");
  if (!board || !window.EventSource) return;
  function setAgent(a) {
    const row = document.getElementById("agent-" + (a.agent_id || a.id));
    if (!row) return;
    const badge = row.querySelector('[data-field="state"]');
    badge.textContent = a.state; badge.className = "badge state-" + a.state;
    row.querySelector('[data-field="reason"]').textContent = a.reason || "";
    if (a.since !== undefined) row.querySelector('[data-field="since"]').textContent = a.since || "";
  }
  function snapshot(data) {
    data.agents.forEach((a) => setAgent({agent_id: a.id, state: a.state, reason: a.reason, since: a.since}));
    data.queues.forEach(function (q) {
      const row = document.getElementById("queue-" + q.id);
      if (!row) return;
      ["available", "waiting", "answered", "abandoned"].forEach((f) => { row.querySelector('[data-field="' + f + '"]').textContent = q[f]; });
      const list = row.querySelector("ul.calls");
      list.replaceChildren();
      (q.calls.length ? q.calls : [{caller_number: "no calls", state: ""}]).forEach(function (c) {
        const li = document.createElement("li"); li.textContent = (c.caller_number || "") + (c.state ? " · " + c.state : ""); list.appendChild(li);
      });
    });
    data.campaigns.forEach(function (c) {
      const row = document.getElementById("campaign-" + c.id);
      if (!row) return;
      row.querySelector('[data-field="status"]').textContent = c.status;
      row.querySelector('[data-field="contacts"]').textContent = Object.keys(c.contacts).filter((k) => k !== "total")
        .map((k) => k + " " + c.contacts[k]).concat(["total " + c.contacts.total]).join(" · ");
    });
  }
  const source = new EventSource(board.dataset.events);
  source.addEventListener("snapshot", (e) => snapshot(JSON.parse(e.data)));
  source.addEventListener("agent.state", (e) => setAgent(JSON.parse(e.data)));
  const filter = document.getElementById("agent-filter");
  filter.addEventListener("input", function () {
    const needle = filter.value.toLowerCase();
    document.querySelectorAll("#agents tbody tr").forEach((row) => { row.hidden = needle && !row.textContent.toLowerCase().includes(needle); });
  });
})();
