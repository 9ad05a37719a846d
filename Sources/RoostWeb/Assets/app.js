"use strict";
(function () {
  const page = document.body.dataset.page;
  const ticketKey = document.body.dataset.ticket || null;
  const $ = (s, r) => (r || document).querySelector(s);
  const $$ = (s, r) => Array.from((r || document).querySelectorAll(s));

  function toast(text) {
    const t = $("#toast"); if (!t) return;
    t.textContent = text; t.classList.add("show");
    clearTimeout(toast.timer); toast.timer = setTimeout(() => t.classList.remove("show"), 4000);
  }

  async function api(path, method, body) {
    const res = await fetch(path, {
      method: method || "GET", credentials: "same-origin",
      headers: body === undefined ? {} : { "Content-Type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body)
    });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const err = new Error((data && data.error && data.error.message) || ("HTTP " + res.status));
      err.status = res.status; err.code = data && data.error && data.error.code; err.field = data && data.error && data.error.field;
      throw err;
    }
    return data;
  }

  // Live region: re-rendered by the server on every relevant event.
  let refreshTimer = null, refreshing = false, again = false;
  function refresh(delay) {
    const live = $("#live"); if (!live) return;
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(async () => {
      if (refreshing) { again = true; return; }
      refreshing = true;
      try {
        const focusedId = document.activeElement && document.activeElement.id;
        const res = await fetch(live.dataset.fragment, { credentials: "same-origin" });
        if (res.ok) {
          live.innerHTML = await res.text();
          if (focusedId && document.getElementById(focusedId)) document.getElementById(focusedId).focus();
          afterRender();
        }
      } finally {
        refreshing = false;
        if (again) { again = false; refresh(0); }
      }
    }, delay === undefined ? 100 : delay);
  }

  // Server-sent events.
  function connect() {
    const status = $("#live-status");
    const source = new EventSource("/api/v1/events");
    source.onopen = () => { if (status) { status.textContent = "live"; status.className = "live-status on"; } };
    source.onerror = () => { if (status) { status.textContent = "reconnecting…"; status.className = "live-status off"; } };
    const kinds = ["message", "reply", "note", "claim", "status", "tag", "conflict", "peer", "presence", "other"];
    kinds.forEach(kind => source.addEventListener(kind, ev => {
      let e; try { e = JSON.parse(ev.data); } catch (x) { return; }
      document.body.dataset.lastEvent = kind + ":" + (e.ticket || "");
      if (kind === "presence") { if (page === "ticket" && e.ticket === ticketKey) showPresence(); return; }
      if (!e.local && kind === "claim" && e.ticket) toast(e.by + " " + (e.detail === "release" ? "released " : "claimed ") + e.ticket);
      if (kind === "conflict") toast("Claim conflict on " + e.ticket);
      if (kind === "peer") toast(e.by + " is " + (e.detail === "up" ? "online" : "offline"));
      if (page === "inbox") refresh(150);
      else if (page === "ticket" && (e.ticket === ticketKey || kind === "conflict")) refresh(50);
      else if (page === "dashboard") refresh(5000);
    }));
  }

  // Inbox selection and keys.
  let selected = 0;
  function rows() { return $$("tr.row"); }
  function select(i, focus) {
    const r = rows(); if (!r.length) return;
    selected = Math.max(0, Math.min(r.length - 1, i));
    r.forEach((row, j) => { row.classList.toggle("selected", j === selected); row.setAttribute("aria-selected", j === selected ? "true" : "false"); });
    const link = $("a", r[selected]); if (link && focus !== false) link.focus({ preventScroll: false });
  }
  function selectedKey() { const r = rows()[selected]; return r ? r.dataset.key : null; }

  function afterRender() {
    if (page === "inbox") {
      const keys = rows().map(r => r.dataset.key);
      try { sessionStorage.setItem("roost.order", JSON.stringify(keys)); } catch (e) {}
      const r = rows(); if (r.length) { r.forEach((row, j) => row.classList.toggle("selected", j === Math.min(selected, r.length - 1))); }
    }
    tickClocks();
  }

  function neighbour(step) {
    let order = [];
    try { order = JSON.parse(sessionStorage.getItem("roost.order") || "[]"); } catch (e) {}
    const i = order.indexOf(ticketKey);
    if (i >= 0 && order[i + step]) location.href = "/tickets/" + encodeURIComponent(order[i + step]);
  }

  async function act(button) {
    const key = button.dataset.key, action = button.dataset.action;
    if (action === "copy") {  // the Team page's invite: select it, then copy it
      const field = document.getElementById(button.dataset.target);
      field.select();
      if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(() => toast("Copied"), () => toast("Selected: press Ctrl+C"));
      else toast("Selected: press Ctrl+C");
      return;
    }
    try {
      if (action === "claim") { await api("/api/v1/tickets/" + key + "/claim", "POST", {}); toast("Claimed " + key); }
      else if (action === "release") { await api("/api/v1/tickets/" + key + "/release", "POST", {}); toast("Released " + key); }
      else if (action === "handoff") { await api("/api/v1/tickets/" + key + "/handoff", "POST", { to: button.dataset.to }); toast("Handed off " + key); }
      else if (action === "untag") { await api("/api/v1/tickets/" + key + "/tags/" + encodeURIComponent(button.dataset.tag), "DELETE"); }
      else if (action === "vip") { await api("/api/v1/customers/" + encodeURIComponent(button.dataset.handle), "POST", { vip: button.dataset.vip === "true" }); }
      refresh(0);
    } catch (e) { toast(e.message); }
  }

  document.addEventListener("click", ev => {
    const button = ev.target.closest("button[data-action]");
    if (button) { ev.preventDefault(); act(button); }
  });

  // Resolving asks first (the Resolve button and the e key): it ends the ticket's work and releases the claim.
  function confirmBox() { return $("#resolve-confirm"); }
  function askResolve() {
    const box = confirmBox(), form = $("#resolve-form"); if (!box || !form) return;
    const as = $("#resolve-as", form);
    box.dataset.endpoint = form.dataset.endpoint; box.dataset.as = as ? as.value : "";
    $("#resolve-confirm-text").textContent = "Resolve " + ticketKey + " as " + box.dataset.as + "? Your claim on it is released.";
    box.hidden = false; document.body.dataset.confirm = "resolve";
    $("#resolve-confirm-yes").focus();
  }
  function closeResolve() {
    const box = confirmBox(); if (!box) return;
    box.hidden = true; delete document.body.dataset.confirm;
  }
  async function confirmResolve() {
    const box = confirmBox(); if (!box || box.hidden) return;
    const endpoint = box.dataset.endpoint, as = box.dataset.as;
    closeResolve();
    try { await api(endpoint, "POST", { as: as }); toast("Resolved " + ticketKey + " as " + as); refresh(0); }
    catch (e) { toast(e.message); }
  }
  document.addEventListener("click", ev => {
    if (ev.target.id === "resolve-confirm-yes") { ev.preventDefault(); confirmResolve(); }
    else if (ev.target.id === "resolve-confirm-no") { ev.preventDefault(); closeResolve(); }
  });

  // Generic API forms: fields become a JSON object.
  document.addEventListener("submit", async ev => {
    const form = ev.target;
    if (form.id === "resolve-form") { ev.preventDefault(); askResolve(); return; }
    if (!form.classList.contains("api-form")) return;
    ev.preventDefault();
    const body = {};
    $$("input, select, textarea", form).forEach(el => {
      if (!el.name || el.disabled) return;
      if (el.type === "checkbox") body[el.name] = el.checked;
      else if (el.value !== "") body[el.name] = el.value;
    });
    try {
      await api(form.dataset.endpoint, "POST", body);
      toast("Done");
      if (form.dataset.reset) form.reset();
      if (form.dataset.reload) location.reload(); else refresh(0);
    } catch (e) { toast(e.message); }
  });

  // The composer.
  function composer() {
    const form = $("#reply-form"); if (!form) return;
    const text = $("#reply-text"), canned = $("#reply-canned"), dm = $("#reply-dm"), to = $("#reply-to"), toHandle = $("#reply-to-handle");
    const count = $("#reply-count"), preview = $("#reply-preview"), error = $("#reply-error");
    const send = $("#reply-send"), force = $("#reply-force");
    let timer = null, seq = 0, lastFits = false;
    function draft() { return { text: text.value, canned: canned.value || undefined, dm: dm.checked, to: (to && to.value) || undefined }; }
    async function update() {
      const mine = ++seq;
      try {
        const p = await api("/api/v1/tickets/" + form.dataset.key + "/preview", "POST", draft());
        if (mine !== seq) return;
        count.textContent = p.length + " / " + p.limit;
        if (toHandle && p.to) toHandle.textContent = "@" + p.to;
        form.dataset.inReplyTo = p.inReplyTo || "";
        count.classList.toggle("over", !p.fits);
        preview.textContent = p.empty ? "" : p.composed;
        const variant = $("#reply-variant");
        if (variant) variant.textContent = p.cannedLanguage ? "Canned response: its " + p.cannedLanguage + " variant (the ticket's language)." : "";
        lastFits = p.fits && !p.empty;
        send.disabled = !lastFits;
        form.dataset.state = p.empty ? "empty" : (p.fits ? "ok" : "over");
        error.textContent = p.fits ? "" : "Too long: " + p.length + " characters as X counts them, over the " + (p.dm ? "DM" : "tweet") + " limit of " + p.limit + " by " + (-p.remaining) + ". Shorten it to send.";
      } catch (e) { error.textContent = e.message; }
    }
    function changed() { clearTimeout(timer); timer = setTimeout(update, 60); presence("replying"); }
    text.addEventListener("input", changed); canned.addEventListener("change", changed); dm.addEventListener("change", changed);
    if (to) to.addEventListener("change", changed);
    async function submit(forced) {
      error.textContent = "";
      const body = draft(); body.after = form.dataset.after || undefined; if (forced) body.force = true;
      if (!body.text && !body.canned) { error.textContent = "Write a reply or choose a canned response."; return; }
      send.disabled = true;
      try {
        const r = await api("/api/v1/tickets/" + form.dataset.key + "/reply", "POST", body);
        toast((r.claimed ? "Claimed " + r.ticket + " for you; " : "") + (r.dm ? "DM" : "Reply") + " queued" + (r.to ? " to @" + r.to : "") + " (" + r.length + " / " + r.limit + ")");
        text.value = ""; canned.value = ""; force.hidden = true; form.dataset.sent = r.messageId;
        update(); refresh(0);
      } catch (e) {
        error.textContent = e.message;
        if (e.code === "replied_first") force.hidden = false;
        send.disabled = !lastFits;
      }
    }
    form.addEventListener("submit", ev => { ev.preventDefault(); submit(false); });
    force.addEventListener("click", () => submit(true));
    update();
  }

  // Who else is here: redrawn when a peer's report arrives and every 5 s (entries expire 30 s after their last
  // report). Names are text, never markup.
  async function showPresence() {
    const list = $("#presence"); if (!list || !ticketKey) return;
    let entries; try { entries = await api("/api/v1/presence?ticket=" + encodeURIComponent(ticketKey)); } catch (e) { return; }
    const others = (entries || []).filter(e => !e.local);
    list.replaceChildren(...others.map(e => { const li = document.createElement("li"); li.textContent = e.member + " is " + e.activity; return li; }));
    list.hidden = others.length === 0;
  }

  function presence(activity) {
    if (!ticketKey) return;
    const now = Date.now();
    if (presence.last && presence.last.activity === activity && now - presence.last.at < 10000) return;
    presence.last = { activity: activity, at: now };
    api("/api/v1/presence", "POST", { ticket: ticketKey, activity: activity }).catch(() => {});
  }

  // SLA clocks tick on the client between refreshes.
  function fmt(ms) {
    const m = Math.floor(Math.abs(ms) / 60000);
    if (m < 60) return m + "m";
    if (m < 1440) return Math.floor(m / 60) + "h" + String(m % 60).padStart(2, "0") + "m";
    return Math.floor(m / 1440) + "d" + String(Math.floor(m % 1440 / 60)).padStart(2, "0") + "h";
  }
  function tickClocks() {
    const now = Date.now();
    $$("[data-due]").forEach(el => {
      const due = Number(el.dataset.due), left = due - now;
      const label = el.dataset.label ? el.dataset.label + " " : "";
      el.textContent = label + (left >= 0 ? "due in " + fmt(left) : "overdue " + fmt(left) + " ago");
      el.classList.toggle("breach", left < 0);
      el.classList.toggle("warn", left >= 0 && el.dataset.warn !== undefined && now >= Number(el.dataset.warn));
    });
  }

  // Search as you type: the server renders the results (escaped, matches in <mark>); the newest answer wins.
  function searchBox() {
    const box = $("#q"), panel = $("#search-panel"); if (!box || !panel) return;
    const onPage = page === "search" ? $("#search-results") : null;
    let timer = null, asked = 0;
    async function update() {
      const q = box.value.trim(), n = ++asked;
      if (!q) { panel.hidden = true; panel.innerHTML = ""; return; }
      const res = await fetch("/search?fragment=1&q=" + encodeURIComponent(q), { credentials: "same-origin" });
      if (n !== asked || !res.ok) return;
      const html = await res.text();
      if (onPage) { onPage.innerHTML = html; history.replaceState(null, "", "/search?q=" + encodeURIComponent(q)); return; }
      panel.innerHTML = html; panel.hidden = false;
    }
    box.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(update, 150); });
    box.addEventListener("keydown", ev => {
      if (ev.key === "Escape") { panel.hidden = true; box.blur(); }
      else if (ev.key === "ArrowDown" && !panel.hidden) { const first = $("a.hit", panel); if (first) { ev.preventDefault(); first.focus(); } }
    });
    panel.addEventListener("keydown", ev => {
      const hits = $$("a.hit", panel), i = hits.indexOf(document.activeElement);
      if (ev.key === "ArrowDown" && i >= 0 && i < hits.length - 1) { ev.preventDefault(); hits[i + 1].focus(); }
      else if (ev.key === "ArrowUp") { ev.preventDefault(); if (i > 0) hits[i - 1].focus(); else box.focus(); }
      else if (ev.key === "Escape") { panel.hidden = true; box.focus(); }
    });
    document.addEventListener("click", ev => { if (!ev.target.closest("form.search")) panel.hidden = true; });
  }

  document.addEventListener("keydown", ev => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const box = confirmBox();
    if (box && !box.hidden) {  // the confirmation has the keyboard: Escape cancels, Enter/Space press the focused button
      if (ev.key === "Escape") { ev.preventDefault(); closeResolve(); }
      return;
    }
    const tag = (ev.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || ev.target.isContentEditable) {
      if (ev.key === "Escape") ev.target.blur();
      return;
    }
    const help = $("#help");
    if (ev.key === "/" && $("#q")) { ev.preventDefault(); $("#q").focus(); $("#q").select(); return; }
    if (ev.key === "?") { help.hidden = !help.hidden; ev.preventDefault(); return; }
    if (page === "inbox") {
      if (ev.key === "j") { select(selected + 1); ev.preventDefault(); }
      else if (ev.key === "k") { select(selected - 1); ev.preventDefault(); }
      else if ((ev.key === "Enter" && ev.target.tagName !== "A") || ev.key === "o") { const k = selectedKey(); if (k) location.href = "/tickets/" + k; }
      else if (ev.key === "c") { const k = selectedKey(); if (k) act({ dataset: { key: k, action: "claim" } }); }
      else if (ev.key === "r") { const k = selectedKey(); if (k) location.href = "/tickets/" + k + "#reply-text"; }
      else if (ev.key === "e") { const k = selectedKey(); if (k) location.href = "/tickets/" + k + "#resolve-as"; }
    } else if (page === "ticket") {
      if (ev.key === "c") act({ dataset: { key: ticketKey, action: "claim" } });
      else if (ev.key === "r") { ev.preventDefault(); $("#reply-text").focus(); }
      else if (ev.key === "e") { ev.preventDefault(); askResolve(); }
      else if (ev.key === "j") neighbour(1);
      else if (ev.key === "k") neighbour(-1);
      else if (ev.key === "u") location.href = "/inbox";
    }
  });

  afterRender();
  searchBox();
  if (page === "inbox") select(0, false);  // highlighted, but focus stays at the top of the page
  if (page === "ticket") {
    composer(); presence("viewing");
    setInterval(() => presence("viewing"), 15000);
    setInterval(showPresence, 5000);
    // Leaving the page tells peers at once (keepalive: the request outlives the page).
    window.addEventListener("pagehide", () => {
      try { fetch("/api/v1/presence", { method: "POST", credentials: "same-origin", keepalive: true,
        headers: { "Content-Type": "application/json" }, body: JSON.stringify({ ticket: ticketKey, activity: "gone" }) }); } catch (e) {}
    });
    if (location.hash === "#reply-text") $("#reply-text").focus();
    if (location.hash === "#resolve-as") $("#resolve-as").focus();
  }
  if (page !== "login" && page !== "error" && page !== "logout") connect();
  setInterval(tickClocks, 15000);
})();
