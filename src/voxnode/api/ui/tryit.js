// Try it: a typed sentence or a recording (MediaRecorder, Opus in WebM or Ogg, which the
// node's ASR decodes) through POST /v1/jobs; every stage's text, the timings, the audio.
import { api, el } from "./api.js";

const FALLBACK_LANGUAGES = ["en", "zh"];

export function startTryIt(services) {
  const src = document.getElementById("try-src");
  const tgt = document.getElementById("try-tgt");
  const status = document.getElementById("try-status");
  const recordButton = document.getElementById("try-record");
  let recorder = null;

  function languages() {
    const found = new Set();
    for (const s of services.statuses()) if (s.type === "nmt") s.languages.forEach((l) => found.add(l));
    return found.size ? [...found].sort() : FALLBACK_LANGUAGES;
  }

  function fillDirections() {
    const langs = languages();
    const keep = (select, values, preferred) => {
      const current = select.value || preferred;
      if ([...select.options].map((o) => o.value).join() === values.join()) return;
      select.replaceChildren(...values.map((v) => el("option", { value: v }, v)));
      select.value = values.includes(current) ? current : values[0];
    };
    keep(src, ["auto", ...langs], "en");
    keep(tgt, langs, langs.find((l) => l !== "en") ?? langs[0]);
  }

  async function run(input) {
    const wantAudio = document.getElementById("try-audio-out").checked;
    const body = { src_lang: src.value, tgt_lang: tgt.value, want_audio: wantAudio, session_id: "dashboard", ...input };
    status.textContent = "running...";
    for (const id of ["try-asr", "try-repaired", "try-translated", "try-timings"]) document.getElementById(id).textContent = "";
    const player = document.getElementById("try-audio");
    player.hidden = true;
    try {
      const result = await api("/v1/jobs", { method: "POST", body });
      show(result);
      status.textContent = `${result.status}${result.degraded.length ? ": " + result.degraded.map((d) => `${d.stage} ${d.code}`).join(", ") : ""}`;
      if (result.audio) {
        player.src = `data:audio/${result.audio_format};base64,${result.audio}`;
        player.hidden = false;
        player.play().catch(() => {});   // a browser may refuse to play without a fresh click
      }
    } catch (error) {
      status.textContent = error.message;
    }
  }

  function show(result) {
    const t = result.timings;
    document.getElementById("try-asr").textContent = result.text_asr || "(typed: no ASR)";
    document.getElementById("try-repaired").textContent =
      `${result.text_repaired}${result.repair_decision ? ` [${result.repair_decision}]` : ""}`;
    document.getElementById("try-translated").textContent = result.text_translated;
    document.getElementById("try-timings").textContent =
      `asr ${t.asr_ms} / repair ${t.repair_ms} / nmt ${t.nmt_ms} / tts ${t.tts_ms} / total ${t.total_ms} ms; ` +
      Object.entries(result.services).map(([stage, id]) => `${stage}: ${id}`).join(", ");
  }

  document.getElementById("try-run").addEventListener("click", () => {
    const text = document.getElementById("try-text").value.trim();
    if (!text) { status.textContent = "type a sentence first"; return; }
    if (src.value === "auto") { status.textContent = "pick the language of the text"; return; }
    run({ text });
  });

  recordButton.addEventListener("click", async () => {
    if (recorder) { recorder.stop(); return; }
    try {
      const stream = await navigator.mediaDevices.getUserMedia({ audio: true });
      const type = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus"].find((t) => MediaRecorder.isTypeSupported(t));
      recorder = new MediaRecorder(stream, type ? { mimeType: type } : {});
      const pieces = [];
      recorder.ondataavailable = (e) => { if (e.data.size) pieces.push(e.data); };
      recorder.onstop = async () => {
        stream.getTracks().forEach((track) => track.stop());
        recorder = null;
        recordButton.textContent = "Record";
        const audio = await toBase64(new Blob(pieces, { type: type ?? "audio/webm" }));
        run({ audio, audio_format: "opus" });
      };
      recorder.start();
      recordButton.textContent = "Stop and translate";
      status.textContent = "recording...";
    } catch (error) {
      status.textContent = `microphone: ${error.message}`;
    }
  });

  services.onChange(fillDirections);
  fillDirections();
}

function toBase64(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result.slice(reader.result.indexOf(",") + 1));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}
