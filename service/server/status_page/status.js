// The status page's script: polls /status.json every 2 s and draws it. Text goes in
// through textContent only, so nothing the gateway reports can become markup.
// On 401 it asks for an API key, kept in sessionStorage (this tab only) and sent as
// the Bearer header.
"use strict";

const POLL_MS = 2000;
const KEY_ITEM = "wxgate.apiKey";
const $ = (id) => document.getElementById(id);

// Times compare with the gateway's clock (generatedTime), not the reader's.
function seconds(timestamp) {
  const ms = Date.parse(timestamp || "");
  return Number.isNaN(ms) || ms <= 0 ? null : ms / 1000;
}

// "1h 59m 58s", "12s", "850ms".
function duration(totalSeconds) {
  if (totalSeconds === null) return "—";
  const sign = totalSeconds < 0 ? "-" : "";
  let s = Math.abs(totalSeconds);
  if (s < 1) return `${sign}${Math.round(s * 1000)}ms`;
  s = Math.floor(s);
  const parts = [];
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60;
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m) parts.push(`${m}m`);
  if (s % 60 || !parts.length) parts.push(`${s % 60}s`);
  return sign + parts.join(" ");
}

// A protobuf JSON Duration ("0.005s") in seconds.
function durationSeconds(text) {
  return text ? parseFloat(text) : 0;
}

function ago(timestamp, now) {
  const t = seconds(timestamp);
  return t === null ? "never" : `${duration(now - t)} ago`;
}

function cell(text, className) {
  const td = document.createElement("td");
  td.textContent = text === undefined || text === null ? "" : String(text);
  if (className) td.className = className;
  return td;
}

// Replaces the table's body with `rows` (arrays of cells), or a line saying none.
function fill(tableId, rows, emptyText) {
  const body = $(tableId).tBodies[0];
  body.replaceChildren();
  if (!rows.length) {
    const tr = body.insertRow();
    const td = cell(emptyText, "empty");
    td.colSpan = $(tableId).tHead.rows[0].cells.length;
    tr.append(td);
    return;
  }
  for (const cells of rows) {
    const tr = body.insertRow();
    tr.append(...cells);
  }
}

const KIND_NAMES = {
  TOKEN_KIND_ACCESS_TOKEN: "access_token",
  TOKEN_KIND_JSAPI_TICKET: "jsapi_ticket",
  TOKEN_KIND_WX_CARD_TICKET: "wx_card ticket",
  TOKEN_KIND_COMPONENT_ACCESS_TOKEN: "component_access_token",
};

// A token's state, time left and failure count as cells (expiry class: expires-in).
function tokenCells(token, now) {
  const expires = seconds(token.expiresAt);
  const left = token.valid && expires !== null ? expires - now : null;
  const state = token.valid ? "valid"
    : token.lastError ? `failing: ${token.lastError}` : "none held";
  const stateClass = token.valid ? "ok" : token.lastError ? "bad" : "warn";
  const expiresCell = cell(left === null ? "—" : duration(left),
                           left !== null && left < 300 ? "warn" : "");
  expiresCell.classList.add("expires-in");
  const failures = Number(token.failedFetches) > 0 ? "number bad" : "number";
  return { state: cell(state, stateClass), expires: expiresCell,
           fetches: cell(token.fetches, "number"), failures: cell(token.failedFetches, failures) };
}

const GRANT_NAMES = {
  GRANT_STATE_UNSPECIFIED: "not read yet",
  GRANT_STATE_AUTHORIZED: "authorized",
  GRANT_STATE_REVOKED: "revoked",
  GRANT_STATE_NONE: "never authorized",
};

function drawAccounts(status, now) {
  const rows = [];
  for (const account of status.accounts || []) {
    for (const token of account.tokens || []) {
      const t = tokenCells(token, now);
      rows.push([cell(account.appid, "appid"), cell(account.name),
                 cell(KIND_NAMES[token.kind] || token.kind), t.state, t.expires,
                 cell(ago(token.fetchedAt, now)), t.fetches, t.failures,
                 cell(token.forceRefreshLeft, "number")]);
    }
  }
  fill("accounts", rows, "no account this caller may see");
}

function drawComponents(status, now) {
  const platforms = [];
  const authorizers = [];
  let shown = 0, total = 0;
  for (const c of status.components || []) {
    const t = tokenCells(c.componentAccessToken || {}, now);
    const ticket = c.ticketKnown ? `pushed ${ago(c.ticketReceivedTime, now)}` : "none yet";
    platforms.push([cell(c.componentAppid, "appid"), cell(c.name),
                    cell(ticket, c.ticketKnown ? "ok" : "warn"), t.state, t.expires,
                    cell(ago((c.componentAccessToken || {}).fetchedAt, now)), t.fetches,
                    t.failures, cell(c.authorizerCount, "number")]);
    total += Number(c.authorizerCount) || 0;
    for (const a of c.authorizers || []) {
      shown += 1;
      const sets = (a.permissionSets || []).map((p) => `${p.id} ${p.name}`).join(", ");
      const grant = GRANT_NAMES[a.grant] || a.grant;
      const grantClass = a.grant === "GRANT_STATE_AUTHORIZED" ? "ok"
        : a.grant === "GRANT_STATE_UNSPECIFIED" ? "" : "bad";
      for (const token of a.tokens || []) {
        const tc = tokenCells(token, now);
        authorizers.push([cell(c.componentAppid), cell(a.appid, "appid"),
                          cell(grant, grantClass), cell(sets), cell(KIND_NAMES[token.kind] || token.kind),
                          tc.state, tc.expires, tc.fetches, tc.failures]);
      }
    }
  }
  fill("components", platforms, "no third-party platform this caller may see");
  fill("authorizers", authorizers, "no authorizer tracked");
  $("authorizers-shown").textContent = shown < total ? `(the first ${shown} of ${total})` : "";
}

function drawUpstream(status) {
  fill("upstream", (status.upstream || []).map((u) => {
    const rate = Number(u.errorRate) || 0;
    return [cell(u.service), cell(u.calls, "number"), cell(u.errors, "number"),
            cell(`${(rate * 100).toFixed(1)}%`, rate > 0.05 ? "number bad" : "number"),
            cell(`≤ ${duration(durationSeconds(u.p50Latency))}`, "number"),
            cell(`≤ ${duration(durationSeconds(u.p99Latency))}`, "number"),
            cell((u.topErrcodes || []).map((e) => `${e.errcode} ×${e.calls}`).join(", "))];
  }), "no call to WeChat in the window");
}

function drawCallbacks(status) {
  fill("callbacks", (status.callbacks || []).map((c) => {
    const refused = Object.entries(c.refused || {}).map(([why, n]) => `${why} ×${n}`).join(", ");
    return [cell(c.appid), cell(c.accepted, "number"), cell(c.duplicate, "number"),
            cell(c.notKept, Number(c.notKept) > 0 ? "number bad" : "number"),
            cell(refused || "0", refused ? "warn" : "number")];
  }), "no push in the window");
}

function filterText(filter) {
  const parts = [];
  const f = filter || {};
  if (f.appids && f.appids.length) parts.push(`appids ${f.appids.join(", ")}`);
  if (f.msgTypes && f.msgTypes.length) parts.push(`types ${f.msgTypes.join(", ")}`);
  if (f.events && f.events.length) parts.push(`events ${f.events.join(", ")}`);
  if (f.eventKeyPrefix) parts.push(`keys ${f.eventKeyPrefix}…`);
  return parts.length ? parts.join("; ") : "everything";
}

function drawSubscribers(status, now) {
  fill("subscribers", (status.subscribers || []).map((s) => [
    cell(s.caller), cell(filterText(s.filter) + (s.replies ? " (replies)" : "")),
    cell(s.group || "broadcast"), cell(s.lag, Number(s.lag) > 100 ? "number warn" : "number"),
    cell(s.replica), cell(ago(s.sinceTime, now))]), "no subscriber");
}

function drawEvents(status) {
  fill("events", (status.latestEvents || []).map((e) => {
    const received = seconds(e.receivedTime);
    const kind = e.infoType ? `component/${e.infoType}`
      : e.event ? `${e.msgType}/${e.event}` : e.msgType;
    return [cell(received === null ? "" : new Date(received * 1000).toLocaleTimeString()),
            cell(e.appid), cell(kind, "kind"),
            cell(e.cursor, "number"), cell(e.id, "id")];
  }), "no event yet");
}

function draw(status) {
  const now = seconds(status.gateway.generatedTime);
  const g = status.gateway;
  $("gateway").textContent =
    `version ${g.version} · replica ${g.replica} · up ${duration(durationSeconds(g.uptime))}` +
    (g.upstreamBaseUrl ? ` · upstream ${g.upstreamBaseUrl}` : "");
  for (const span of document.querySelectorAll(".window")) {
    span.textContent = `(last ${duration(durationSeconds(status.window))})`;
  }
  drawAccounts(status, now);
  drawComponents(status, now);
  drawUpstream(status);
  drawCallbacks(status);
  drawSubscribers(status, now);
  drawEvents(status);
  $("status").hidden = false;
  $("login").hidden = true;
}

function showState(text, isError) {
  $("state").textContent = text;
  $("state").classList.toggle("error", Boolean(isError));
}

async function poll() {
  const key = sessionStorage.getItem(KEY_ITEM);
  const headers = key ? { Authorization: `Bearer ${key}` } : {};
  try {
    const answer = await fetch("/status.json", { headers, cache: "no-store" });
    if (answer.status === 401) {
      if (key) sessionStorage.removeItem(KEY_ITEM);
      $("status").hidden = true;
      $("login").hidden = false;
      showState(key ? "that key is not accepted" : "an API key is needed", Boolean(key));
      return;  // polling resumes when a key is entered
    }
    if (!answer.ok) {
      const why = (await answer.text()).trim();
      showState(`${answer.status}: ${why}`, true);
    } else {
      draw(await answer.json());
      showState(`updated ${new Date().toLocaleTimeString()}`, false);
    }
  } catch (error) {
    showState(`the gateway does not answer (${error.message})`, true);
  }
  setTimeout(poll, POLL_MS);
}

$("login").addEventListener("submit", (event) => {
  event.preventDefault();
  const key = $("api-key").value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY_ITEM, key);
  $("api-key").value = "";
  poll();
});

poll();
