// Services: state (followed live over WS /v1/events), start / stop / restart, install,
// uninstall and the tail of each service's log.
import { api, el, every, showProblem } from "./api.js";

const COLUMNS = 11;

export function startServices(subscribe) {
  const rows = document.getElementById("service-rows");
  const known = new Map();   // service_id -> status
  const openLogs = new Set();
  const changed = [];

  function render() {
    rows.replaceChildren();
    for (const s of known.values()) {
      rows.append(row(s));
      if (s.last_error && s.state !== "ready") {
        rows.append(el("tr", {}, el("td", { colspan: COLUMNS, class: "err" }, s.last_error)));
      }
      if (openLogs.has(s.service_id)) rows.append(logRow(s.service_id));
    }
    for (const listener of changed) listener();
  }

  function row(s) {
    const action = (name, label) => el("button", {
      dataset: { action: name }, onclick: () => act(s.service_id, name),
    }, label);
    return el("tr", { dataset: { service: s.service_id } },
      el("td", { title: s.name }, s.service_id),
      el("td", {}, s.type + (s.subtype ? "/" + s.subtype : "")),
      el("td", {}, s.languages.join(",")),
      el("td", { title: `installed: ${s.installed_versions.join(", ")}` }, s.version),
      el("td", { class: `state ${s.state}`, dataset: { state: s.state } }, s.state),
      el("td", {}, s.port ?? ""), el("td", {}, s.pid ?? ""), el("td", { class: "restarts" }, s.restarts),
      el("td", {}, s.startup_seconds?.toFixed(2) ?? ""), el("td", {}, s.inflight),
      el("td", {},
        action("start", "start"), " ", action("stop", "stop"), " ", action("restart", "restart"), " ",
        el("button", { dataset: { action: "log" }, onclick: () => toggleLog(s.service_id) }, "log"), " ",
        action("uninstall", "uninstall")),
    );
  }

  function logRow(serviceId) {
    const pre = el("pre", { class: "log", dataset: { log: serviceId } }, "loading...");
    api(`/v1/services/${encodeURIComponent(serviceId)}/log?lines=50`)
      .then((tail) => { pre.textContent = tail.lines.join("\n") || "(nothing logged yet)"; pre.scrollTop = pre.scrollHeight; })
      .catch((error) => { pre.textContent = error.message; });
    return el("tr", {}, el("td", { colspan: COLUMNS }, pre));
  }

  function toggleLog(serviceId) {
    if (openLogs.has(serviceId)) openLogs.delete(serviceId); else openLogs.add(serviceId);
    render();
  }

  async function act(serviceId, name) {
    const id = encodeURIComponent(serviceId);
    try {
      if (name === "uninstall") {
        if (!confirm(`Uninstall ${serviceId} (every version)?`)) return;
        await api(`/v1/services/${id}`, { method: "DELETE" });
        known.delete(serviceId);
        render();
        return;
      }
      await api(`/v1/services/${id}/${name}`, { method: "POST" });   // the row follows the WS events
    } catch (error) {
      showProblem(error);
    }
  }

  async function reload() {
    const list = await api("/v1/services");
    known.clear();
    for (const s of list.services) known.set(s.service_id, s);
    render();
  }

  async function refreshOne(serviceId) {
    try {
      known.set(serviceId, await api(`/v1/services/${encodeURIComponent(serviceId)}`));
    } catch (error) {
      if (error.status === 404) known.delete(serviceId); else throw error;
    }
    render();
  }

  subscribe((event) => {
    if (event.type === "service_state") {
      const s = known.get(event.service_id);
      if (s) {   // the state at once from the event, the other columns right after
        s.state = event.data.state;
        s.last_error = event.data.error ?? s.last_error;
        render();
      }
      if (!event.data.snapshot) refreshOne(event.service_id).catch(showProblem);
    } else if (event.type === "service_uninstalled") {
      known.delete(event.service_id);
      render();
    } else {
      refreshOne(event.service_id).catch(showProblem);
    }
  });

  document.getElementById("install").addEventListener("submit", async (e) => {
    e.preventDefault();
    const status = document.getElementById("install-status");
    const source = document.getElementById("install-source").value.trim();
    const sha256 = document.getElementById("install-sha256").value.trim() || null;
    status.textContent = "installing...";
    try {
      const installed = await api("/v1/services", { method: "POST", body: { source, sha256 } });
      known.set(installed.service_id, installed);
      render();
      status.textContent = `installed ${installed.service_id} ${installed.version}`;
    } catch (error) {
      status.textContent = error.message;
    }
  });

  every(15000, reload);   // in-flight counts and start-up times; states come over the WS
  return {
    statuses: () => [...known.values()],
    onChange: (listener) => changed.push(listener),
  };
}
