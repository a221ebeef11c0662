// Recent jobs (GET /v1/jobs/recent) with their texts, decisions and timings, and the
// routing panel, which counts jobs per route once the node reports routes.
import { api, el, every } from "./api.js";

export function startJobs() {
  const rows = document.getElementById("job-rows");
  const routing = document.getElementById("routing");
  every(3000, async () => {
    const { jobs, routes } = await api("/v1/jobs/recent?limit=25");
    const counted = Object.entries(routes);
    routing.textContent = !jobs.length ? "No jobs yet: try one above."
      : counted.length
        ? "Routing: " + counted.map(([route, n]) => `${route} ${n}`).join(", ") + ` (of the last ${jobs.length} jobs)`
        : `Routing: every one of the last ${jobs.length} jobs ran on this node (none reached a routed stage).`;
    rows.replaceChildren(...jobs.map((j) => {
      const t = j.timings;
      return el("tr", { dataset: { job: j.job_id } },
        el("td", {}, new Date(j.finished_at * 1000).toLocaleTimeString()),
        el("td", {}, `${j.src_lang} → ${j.tgt_lang}`),
        el("td", { title: j.degraded.map((d) => `${d.stage}: ${d.code} ${d.message}`).join("\n") || null }, j.status),
        el("td", {}, j.text_asr),
        el("td", { title: j.reason_codes.join(", ") || null }, j.text_repaired, j.repair_decision ? ` [${j.repair_decision}]` : ""),
        el("td", {}, j.text_translated),
        el("td", {}, [t.asr_ms, t.repair_ms, t.nmt_ms, t.tts_ms, t.total_ms].map((ms) => Math.round(ms)).join(" / ")),
        el("td", {}, j.route ?? "-"),
      );
    }));
  });
}
