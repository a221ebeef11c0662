// The dashboard: wires the views to the node's API and its event stream (WS /v1/events).
import { api, every } from "./api.js";
import { startAlerts } from "./alerts.js";
import { startCharts } from "./charts.js";
import { startJobs } from "./jobs.js";
import { startModels } from "./models.js";
import { startServices } from "./services.js";
import { startTryIt } from "./tryit.js";

// opened as /?token=...: the session cookie now carries it; keep it out of the address bar
if (new URLSearchParams(location.search).has("token")) history.replaceState(null, "", location.pathname);

const listeners = [];

function listen() {
  const live = document.getElementById("live");
  const log = document.getElementById("events");
  const socket = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/v1/events`);
  socket.onopen = () => { live.textContent = "events: live"; live.className = "live on"; };
  socket.onmessage = (message) => {
    const event = JSON.parse(message.data);
    const line = document.createElement("div");
    line.textContent = `${new Date(event.at * 1000).toLocaleTimeString()} ${event.type} ${event.service_id} ${JSON.stringify(event.data)}`;
    log.prepend(line);
    while (log.childElementCount > 200) log.lastChild.remove();
    for (const listener of listeners) listener(event);
  };
  socket.onclose = () => {
    live.textContent = "events: reconnecting"; live.className = "live off";
    setTimeout(listen, 2000);
  };
}

async function header() {
  const [health, agent] = await Promise.all([api("/health"), api("/v1/agent")]);
  document.getElementById("summary").textContent =
    `node ${health.version}, up ${Math.round(health.uptime_s)} s: ${health.ready} of ${health.services} services ready`;
  document.getElementById("agent").textContent = agent.state === "off"
    ? "No scheduler configured (set scheduler_url to join one)."
    : `${agent.scheduler_url}: ${agent.state}${agent.draining ? " (draining)" : ""}, node_id ${agent.node_id ?? "-"}, ` +
      `${agent.heartbeats_sent} heartbeats, ${agent.running_jobs.length} jobs running, ${agent.outbox} results waiting` +
      (agent.last_error && agent.state !== "registered" ? `; last error: ${agent.last_error}` : "");
}

const services = startServices((listener) => listeners.push(listener));
startTryIt(services);
startAlerts();
startCharts();
startJobs();
startModels();
every(5000, header);
listen();
