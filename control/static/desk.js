// Agent desk: actions call /api/v1/desk/*, the state follows the engine over SSE.
(function () {
  const desk = document.getElementById("desk");
  if (!desk) return;
  const api = desk.dataset.api;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const $ = (id) => document.getElementById(id);
  let current = {contact: null, previewTimer: null, callUuid: null};

  function showError(message) { $("desk-error").textContent = message || ""; }

  function call(path, payload, method) {
    return fetch(api + "/" + path, {
      method: method || "POST", credentials: "same-origin",
      headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
      body: method === "GET" ? undefined : JSON.stringify(payload || {}),
    }).then(function (r) {
      return r.json().catch(() => ({})).then(function (data) {
        if (!r.ok) {
          const e = data.error || {};
          showError((e.field ? e.field + ": " : "") + (e.message || ("error " + r.status)));
          throw new Error(e.message || r.status);
        }
        showError("");
        if (data.state) showState(data.state);
        return data;
      });
    });
  }

  function showState(state) {
    const el = $("agent-state");
    el.textContent = state.state || "logged_out";
    el.className = "badge state-" + (state.state || "logged_out");
    $("agent-reason").textContent = state.reason || "";
    const onCallStates = ["reserved", "ringing", "in_call"];
    if (state.call && onCallStates.indexOf(state.state) >= 0) {
      $("call-state").textContent = state.state.replace("_", " ");
      const number = state.call.caller_number || state.call.number || state.call.destination || "";
      if (number) $("call-number").textContent = number;
      if (current.callUuid !== state.call.call_uuid) {
        current.callUuid = state.call.call_uuid;
        pop(state.call.contact_id ? {contact_id: state.call.contact_id} : {number: state.call.caller_number || state.call.number || ""});
      }
    } else if (!state.call_uuid) {
      $("call-state").textContent = state.state === "wrap_up" ? "wrap-up" : "no call";
    }
  }

  function formData(form) {
    const data = {};
    new FormData(form).forEach(function (v, k) {
      if (k.indexOf("answer:") === 0) { data.answers = data.answers || {}; data.answers[k.slice(7)] = v; }
      else data[k] = v;
    });
    form.querySelectorAll('input[type="checkbox"]').forEach((c) => { data[c.name] = c.checked; });
    return data;
  }

  desk.addEventListener("submit", function (event) {
    const form = event.target;
    if (!form.dataset.action) return;
    event.preventDefault();
    const action = (event.submitter && event.submitter.dataset.as) || form.dataset.action;
    call(action, formData(form)).catch(() => {});
  });

  desk.addEventListener("click", function (event) {
    const button = event.target.closest("button[data-action]");
    if (!button || button.type === "submit") return;  // submit buttons go through the submit handler
    const action = button.dataset.action;
    if (action === "dial-now" || action === "dial-contact") return dialContact();
    if (action === "fetch") {
      return call("fetch", {campaign_id: $("work-campaign").value}).then(function (data) {
        $("work-result").textContent = data.contacts.length + " record(s) now yours";
      }).catch(() => {});
    }
    if (action === "preview/next") {
      return call("preview/next", {}).then(function (data) {
        const shown = data.result || {};
        if (!shown.contact_id) { $("work-result").textContent = "nothing to call right now"; return; }
        current.preview = true;
        pop({contact_id: shown.contact_id}).then(() => startPreview(shown.countdown || 0));
      }).catch(() => {});
    }
    if (action === "preview/skip") { stopPreview(); current.preview = false; }
    call(action, button.dataset.payload ? JSON.parse(button.dataset.payload) : {}).catch(() => {});
  });

  function dialContact() {
    stopPreview();
    if (current.preview) { current.preview = false; return call("preview/dial", {}).catch(() => {}); }
    if (current.contact) call("dial", {contact_id: current.contact.id}).catch(() => {});
  }

  function stopPreview() {
    if (current.previewTimer) clearInterval(current.previewTimer);
    current.previewTimer = null;
    $("preview").hidden = true;
  }

  function startPreview(seconds) {
    stopPreview();
    if (!seconds) return;
    let left = seconds;
    $("preview").hidden = false;
    $("preview-seconds").textContent = left;
    current.previewTimer = setInterval(function () {
      left -= 1;
      $("preview-seconds").textContent = left;
      if (left <= 0) dialContact();
    }, 1000);
  }

  function text(tag, value) { const el = document.createElement(tag); el.textContent = value; return el; }

  function showPop(data) {
    const pop = $("pop");
    const contact = data.contact;
    current.contact = contact;
    pop.hidden = false;
    $("pop-campaign").textContent = data.campaign ? "· " + data.campaign.name : "· unknown caller";
    const fields = $("pop-fields");
    fields.replaceChildren();
    if (contact) {
      const shown = {"Name": (contact.first_name + " " + contact.last_name).trim(), "Phone": contact.phone,
        "Organisation": contact.organisation, "Position": contact.position, "Notes": contact.extra,
        "Attempts": String(contact.attempts), "Last disposition": contact.disposition};
      Object.entries(contact.custom || {}).forEach(([k, v]) => { shown[k] = v; });
      Object.entries(shown).forEach(function ([k, v]) {
        if (!v) return;
        fields.appendChild(text("dt", k)); fields.appendChild(text("dd", v));
      });
      $("pop-contact-id").value = contact.id;
    }
    $("pop-script").textContent = data.script || "";
    const asked = $("pop-questions");
    asked.replaceChildren();
    (data.questions || []).forEach(function (q) {
      const label = text("label", q.label + (q.required ? " *" : "") + " ");
      let input;
      if (q.options) {
        input = document.createElement("select");
        input.appendChild(text("option", ""));
        q.options.forEach((o) => input.appendChild(text("option", o)));
      } else { input = document.createElement("input"); }
      input.name = "answer:" + q.key;
      label.appendChild(input);
      asked.appendChild(label);
    });
    const history = $("pop-history");
    history.replaceChildren();
    (data.history || []).forEach((h) => history.appendChild(text("li", h.at + " · " + h.code + (h.notes ? " · " + h.notes : ""))));
    const select = $("disposition-code");
    select.replaceChildren();
    (data.dispositions || []).forEach(function (d) {
      const option = text("option", d.label); option.value = d.code; select.appendChild(option);
    });
    $("disposition-result").textContent = "";
  }

  function pop(params) {
    const query = new URLSearchParams(params).toString();
    return call("pop?" + query, null, "GET").then(showPop).catch(() => {});
  }

  $("disposition-form").addEventListener("submit", function (event) {
    event.preventDefault();
    call("disposition", formData(event.target)).then(function (data) {
      $("disposition-result").textContent = "Saved " + data.disposition.code +
        (data.callback ? " · callback at " + data.callback.due_at : "");
      refreshCallbacks();
    }).catch(() => {});
  });

  function refreshCallbacks() {
    call("callbacks", null, "GET").then(function (data) {
      const body = $("callback-rows");
      body.replaceChildren();
      data.items.forEach(function (c) {
        const row = document.createElement("tr");
        [c.due_at, c.name, c.phone, c.reason].forEach((v) => row.appendChild(text("td", v)));
        body.appendChild(row);
      });
    }).catch(() => {});
  }

  function onCall(kind, data) {
    $("call-state").textContent = kind.replace("call.", "");
    if (data.caller_number || data.number) $("call-number").textContent = data.caller_number || data.number;
    if (kind === "call.offered" || kind === "call.answered" || kind === "preview.offered") {
      if (!current.contact || (data.contact_id && current.contact.id !== data.contact_id)) {
        pop({contact_id: data.contact_id || "", number: data.caller_number || ""}).then(function () {
          if (kind === "preview.offered") startPreview(data.countdown || 0);
        });
      }
    }
    if (kind === "call.ended") { stopPreview(); }
  }

  if (window.EventSource) {
    const source = new EventSource(desk.dataset.events);
    source.addEventListener("snapshot", (e) => showState(JSON.parse(e.data)));
    source.addEventListener("agent.state", (e) => showState(JSON.parse(e.data)));
    ["call.offered", "call.answered", "call.ended", "call.held", "preview.offered"].forEach(function (kind) {
      source.addEventListener(kind, (e) => onCall(kind, JSON.parse(e.data)));
    });
  }
})();
