// Alert banners from GET /v1/alerts (thresholds in the node's [monitoring] settings).
import { api, el, every } from "./api.js";

export function startAlerts() {
  const box = document.getElementById("alerts");
  every(2000, async () => {
    const { alerts } = await api("/v1/alerts");
    box.replaceChildren(...alerts.map((a) => el("div", {
      class: `alert ${a.severity}`, dataset: { kind: a.kind, subject: a.subject },
    }, el("strong", {}, a.severity === "critical" ? "Critical: " : "Warning: "), a.message,
       el("span", { class: "hint" }, ` (since ${new Date(a.since * 1000).toLocaleTimeString()})`))));
  });
}
