// Models: the catalog with pull (live progress from server-sent events), verify and
// remove; what the model hosts hold, with memory and keep-alive, load and unload.
import { api, bytes, el, every, postEvents, showProblem } from "./api.js";

const KEEP_ALIVE = [["5m", "5 min"], ["30m", "30 min"], ["-1", "until unloaded"]];

export function startModels() {
  const catalogRows = document.getElementById("model-rows");
  const loadedRows = document.getElementById("loaded-rows");
  const pulling = new Map();   // name -> progress text

  async function catalog() {
    const { models } = await api("/v1/models");
    catalogRows.replaceChildren(...models.map((m) => {
      const progress = pulling.get(m.name);
      const actions = [];
      if (progress !== undefined) actions.push(el("span", { class: "pull-progress" }, progress));
      else if (!m.present) actions.push(button("pull", () => pull(m.name)));
      if (m.present) {
        actions.push(button("verify", () => verify(m.name)), " ", button("remove", () => remove(m.name)));
        if (m.kind === "llm") {
          const keep = el("select", { title: "keep_alive" }, KEEP_ALIVE.map(([v, label]) => el("option", { value: v }, label)));
          actions.push(" ", button("load", () => load(m.name, keep.value)), keep);
        }
      }
      return el("tr", { dataset: { model: m.name } },
        el("td", { title: m.description ?? "" }, m.name, m.default ? " (default)" : ""),
        el("td", {}, m.kind), el("td", {}, bytes(m.size)),
        el("td", { class: "present" }, m.present ? "yes" : "no"),
        el("td", {}, m.sources.join(", ")), el("td", {}, m.licence),
        el("td", {}, actions));
    }));
  }

  async function loaded() {
    const { hosts } = await api("/v1/llm/status");
    const rows = hosts.flatMap((h) => h.models.map((m) => el("tr", { dataset: { loaded: m.name } },
      el("td", {}, m.name), el("td", {}, h.service_id), el("td", {}, m.engine),
      el("td", {}, `${Math.round(m.memory_mb)} MB`), el("td", {}, m.in_use),
      el("td", {}, `${Math.round(m.idle_s)} s`),
      el("td", {}, m.expires_in_s === null ? "kept" : `${Math.round(m.expires_in_s)} s`),
      el("td", {}, button("unload", () => unload(m.name))))));
    loadedRows.replaceChildren(...(rows.length ? rows
      : [el("tr", {}, el("td", { colspan: 8, class: "hint" }, hosts.length ? "No model loaded." : "No model host (llm service) is ready."))]));
  }

  async function pull(name) {
    pulling.set(name, "starting...");
    await catalog();
    try {
      for await (const { event, data } of postEvents(`/v1/models/${encodeURIComponent(name)}/pull`, {})) {
        if (event === "progress") {
          const share = data.total ? ` (${Math.round((100 * data.done) / data.total)} %)` : "";
          pulling.set(name, `${data.file}: ${bytes(data.done)} of ${bytes(data.total)}${share}`);
        } else if (event === "error") {
          pulling.delete(name);
          showProblem(new Error(`${data.error.code}: ${data.error.message}`));
        } else if (event === "done") {
          pulling.delete(name);
        }
        paintProgress(name);
      }
    } finally {
      pulling.delete(name);
      await catalog();
    }
  }

  function paintProgress(name) {
    const cell = catalogRows.querySelector(`tr[data-model="${CSS.escape(name)}"] .pull-progress`);
    if (cell && pulling.has(name)) cell.textContent = pulling.get(name);
  }

  async function verify(name) {
    try {
      const { verified } = await api(`/v1/models/${encodeURIComponent(name)}/verify`, { method: "POST" });
      alert(`${name}: ${verified.length} file(s) verified`);
    } catch (error) { showProblem(error); }
    await catalog();
  }

  async function remove(name) {
    if (!confirm(`Delete ${name} from this node?`)) return;
    await api(`/v1/models/${encodeURIComponent(name)}`, { method: "DELETE" }).catch(showProblem);
    await catalog();
  }

  async function load(name, keepAlive) {   // a one-token completion loads it with that keep_alive
    const keep = keepAlive === "-1" ? -1 : keepAlive;
    await api("/v1/completions", { method: "POST", body: { model: name, prompt: " ", max_tokens: 1, keep_alive: keep } })
      .catch(showProblem);
    await loaded();
  }

  async function unload(model) {
    await api("/v1/llm/unload", { method: "POST", body: { model } }).catch(showProblem);
    await loaded();
  }

  every(10000, catalog);
  every(5000, loaded);
}

function button(label, onclick) {
  return el("button", { dataset: { action: label }, onclick }, label);
}
