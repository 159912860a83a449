// tomtat web page: paste or upload a Vietnamese article, get the Vietnamese
// summary, the English summary and the full English translation side by side
// (or, English → Vietnamese, the Vietnamese translation of an English text);
// and translate a whole file (POST v1/documents, then poll its job until the
// translated file can be downloaded).
// Every piece of text from the article or the server is put on the page with
// textContent (never as HTML), so article text cannot inject markup.
(function () {
  "use strict";

  var body = document.body;
  var LABELS = JSON.parse(document.getElementById("i18n").textContent);
  var lang = document.documentElement.lang in LABELS ? document.documentElement.lang : "vi";
  var maxChars = parseInt(body.dataset.maxChars, 10) || 100000;
  var maxBytes = parseInt(body.dataset.maxBytes, 10) || 4194304;
  var authOn = body.dataset.auth === "1";
  var translationReady = body.dataset.translationReady === "1";
  var maxDocBytes = parseInt(body.dataset.maxDocumentBytes, 10) || 10485760;
  var POLL_MS = 1000;
  var TERMINAL = { succeeded: 1, failed: 1, cancelled: 1 };
  var doc = null; // the document job shown: {state, job, error, phase}; re-rendered when the language changes
  var docRun = 0; // bumped by each upload: a poll of an older one stops
  var format = "auto";
  var lastResult = null;

  // Labels of the fact checks (the page's other labels come from the server, in #i18n).
  var CHECK_LABELS = {
    vi: {
      heading: "Cần kiểm tra", problems: "vấn đề",
      number: "Số liệu", date: "Ngày giờ", name: "Tên riêng", quote: "Trích dẫn", negation: "Phủ định",
      untranslated: "Chưa dịch", missing: "không có trong bản dịch", unsupported: "không có trong văn bản gốc",
      changed: "bị thay đổi", found: "thành"
    },
    en: {
      heading: "Check this", problems: "problem(s)",
      number: "Number", date: "Date", name: "Name", quote: "Quotation", negation: "Negation",
      untranslated: "Untranslated", missing: "missing from the translation", unsupported: "not in the source",
      changed: "changed", found: "to"
    }
  };
  var CHECKED = [["summary_vi", "summary-vi"], ["summary_en", "summary-en"], ["translation_en", "translation-en"],
                 ["translation_vi", "translation-vi"]];
  var VI_EN_PANELS = ["panel-summary-vi", "panel-summary-en", "panel-translation-en"];

  function $(id) { return document.getElementById(id); }
  function tc(key) { return (CHECK_LABELS[lang] || CHECK_LABELS.vi)[key] || key; }
  function t(key) { return (LABELS[lang] && LABELS[lang][key]) || LABELS.vi[key] || key; }
  function fmtNumber(n) { return new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-US").format(n); }

  function applyLabels() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (el) { el.textContent = t(el.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (el) {
      el.placeholder = t(el.dataset.i18nPlaceholder);
    });
    document.querySelectorAll(".lang").forEach(function (b) {
      b.classList.toggle("active", b.dataset.lang === lang);
      b.setAttribute("aria-pressed", b.dataset.lang === lang ? "true" : "false");
    });
    updateCounter();
    if (lastResult) { renderMeta(lastResult.data, lastResult.elapsed); renderChecks(lastResult.data); }
    if (doc) { renderDoc(); }
  }

  function enVi() { return $("direction").value === "en-vi"; }
  function submitKey() { return enVi() ? "submit_en_vi" : "submit"; }

  // English → Vietnamese only translates: the summary options go away and the labels say English.
  function applyDirection() {
    var on = enVi();
    document.querySelectorAll(".summary-option").forEach(function (el) { el.hidden = on; });
    $("en-vi-note").hidden = !on;
    $("text-label").dataset.i18n = on ? "text_label_en" : "text_label";
    $("text-label").textContent = t($("text-label").dataset.i18n);
    $("text").dataset.i18nPlaceholder = on ? "text_placeholder_en" : "text_placeholder";
    $("text").placeholder = t($("text").dataset.i18nPlaceholder);
    $("text").lang = on ? "en" : "vi";
    if (!$("submit").disabled) {
      $("submit").dataset.i18n = submitKey();
      $("submit").textContent = t(submitKey());
    }
  }

  // Characters as the server counts them: code points in NFC ("Việt" typed with combining marks is 4, an
  // emoji 1), not UTF-16 units
  function charCount(text) { return Array.from(String(text).normalize("NFC")).length; }

  function updateCounter() {
    var n = charCount($("text").value);
    var counter = $("counter");
    counter.textContent = fmtNumber(n) + " / " + fmtNumber(maxChars) + " " + t("chars");
    counter.classList.toggle("over", n > maxChars);
  }

  function setParagraphs(el, text) {
    el.replaceChildren();
    String(text).split(/\n\s*\n/).forEach(function (para) {
      if (!para.trim()) { return; }
      var p = document.createElement("p");
      p.textContent = para.trim();
      el.appendChild(p);
    });
  }

  function setNote(el, text) {
    el.replaceChildren();
    var p = document.createElement("p");
    p.className = "muted";
    p.textContent = text;
    el.appendChild(p);
    el.dataset.empty = "1";
  }

  function showError(title, detail, fields) { showErrorIn($("error"), title, detail, fields); }

  function showErrorIn(box, title, detail, fields) {
    box.replaceChildren();
    var strong = document.createElement("strong");
    strong.textContent = t("error") + ": " + title;
    box.appendChild(strong);
    if (detail) {
      var p = document.createElement("p");
      p.textContent = detail;
      box.appendChild(p);
    }
    if (fields && fields.length) {
      var ul = document.createElement("ul");
      fields.forEach(function (f) {
        var li = document.createElement("li");
        li.textContent = (f.field ? f.field + ": " : "") + (f.message || "");
        ul.appendChild(li);
      });
      box.appendChild(ul);
    }
    box.hidden = false;
  }

  function clearError() { $("error").hidden = true; $("error").replaceChildren(); }

  function renderMeta(data, elapsed) {
    var meta = $("meta");
    meta.replaceChildren();
    var models = document.createElement("span");
    var parts = [];
    Object.keys(data.models || {}).forEach(function (k) { parts.push(k + ": " + data.models[k]); });
    models.textContent = t("models") + " — " + parts.join(" · ");
    models.id = "meta-models";
    var time = document.createElement("span");
    time.id = "meta-time";
    var server = data.timings && data.timings.total_ms != null ? data.timings.total_ms / 1000 : null;
    time.textContent = t("time") + ": " + (elapsed / 1000).toFixed(2) + " s" +
      (server != null ? " (" + t("server") + " " + server.toFixed(2) + " s)" : "");
    meta.appendChild(models);
    meta.appendChild(time);
  }

  // A flagged output gets a note above it listing what to check; the panel is marked for the eye
  // (border) and for assistive technology (the note is announced with the panel's heading).
  function renderChecks(data) {
    var checks = data.checks || {};
    CHECKED.forEach(function (pair) {
      var box = $("checks-" + pair[1]);
      var panel = $("panel-" + pair[1]);
      var check = checks[pair[0]];
      box.replaceChildren();
      if (!check || check.ok) {
        box.hidden = true;
        panel.classList.remove("flagged");
        panel.removeAttribute("aria-describedby");
        return;
      }
      var problems = check.problems || [];
      var strong = document.createElement("strong");
      strong.textContent = "⚠ " + tc("heading") + ": " + problems.length + " " + tc("problems");
      box.appendChild(strong);
      var ul = document.createElement("ul");
      problems.forEach(function (p) {
        var li = document.createElement("li");
        li.dataset.kind = p.kind;
        var kind = document.createElement("span");
        kind.className = "kind";
        kind.textContent = tc(p.kind);
        li.appendChild(kind);
        var text = "“" + p.text + "” " + tc(p.issue);
        if (p.found) { text += " " + tc("found") + " “" + p.found + "”"; }
        li.appendChild(document.createTextNode(" " + text));
        ul.appendChild(li);
      });
      box.appendChild(ul);
      box.hidden = false;
      panel.classList.add("flagged");
      panel.setAttribute("aria-describedby", box.id);
    });
  }

  function showPanels(viEn) {
    VI_EN_PANELS.forEach(function (id) { $(id).hidden = !viEn; });
    $("panel-translation-vi").hidden = viEn;
    $("results").classList.toggle("single", !viEn);
  }

  // The answer of POST v1/translate (en → vi), shaped like an article's for the meta line and the checks.
  function renderTranslation(data, elapsed) {
    var shaped = {
      models: data.model ? { translation: data.model } : {},
      timings: data.timings,
      checks: data.checks && data.checks.translation ? { translation_vi: data.checks.translation } : {}
    };
    delete $("out-translation-vi").dataset.empty;
    renderWarnings(data.warnings);
    setParagraphs($("out-translation-vi"), data.translation || "");
    showPanels(false);
    lastResult = { data: shaped, elapsed: elapsed };
    renderMeta(shaped, elapsed);
    renderChecks(shaped);
    $("results").hidden = false;
  }

  // What the server says it did differently from what was asked (a flagged summary replaced by the extractive
  // one, text let through in another language), above the results
  function renderWarnings(warnings) {
    var box = $("warnings");
    box.replaceChildren();
    if (!warnings || !warnings.length) { box.hidden = true; return; }
    var strong = document.createElement("strong");
    strong.textContent = t("warnings");
    box.appendChild(strong);
    var ul = document.createElement("ul");
    warnings.forEach(function (w) {
      var li = document.createElement("li");
      li.textContent = String(w);
      ul.appendChild(li);
    });
    box.appendChild(ul);
    box.hidden = false;
  }

  function render(data, full, elapsed) {
    showPanels(true);
    renderWarnings(data.warnings);
    setParagraphs($("out-summary-vi"), data.summary_vi || "");
    delete $("out-summary-vi").dataset.empty;
    ["out-summary-en", "out-translation-en"].forEach(function (id) { delete $(id).dataset.empty; });
    if (data.summary_en) { setParagraphs($("out-summary-en"), data.summary_en); }
    else { setNote($("out-summary-en"), t("no_translation")); }
    if (data.translation_en) { setParagraphs($("out-translation-en"), data.translation_en); }
    else { setNote($("out-translation-en"), full && !translationReady ? t("no_translation") : t("not_requested")); }
    lastResult = { data: data, elapsed: elapsed };
    renderMeta(data, elapsed);
    renderChecks(data);
    $("results").hidden = false;
  }

  function busy(on) {
    var btn = $("submit");
    btn.disabled = on;
    btn.dataset.i18n = on ? "working" : submitKey();
    btn.textContent = t(btn.dataset.i18n);
    body.classList.toggle("busy", on);
  }

  function apiHeaders(json) {
    var headers = { "Accept": "application/json" };
    if (json) { headers["Content-Type"] = "application/json"; }
    if (authOn && $("apikey") && $("apikey").value.trim()) {
      sessionStorage.setItem("tomtat-key", $("apikey").value.trim());
      headers["X-API-Key"] = $("apikey").value.trim();
    }
    return headers;
  }

  // A problem+json answer (or whatever came back) as {title, detail, errors}.
  function problem(resp, raw, data) {
    var retry = resp.headers.get("Retry-After");
    var detail = data && data.detail ? data.detail : String(raw || "").slice(0, 300);
    if (retry) { detail += " (Retry-After: " + retry + " s)"; }
    return { title: (data && data.title) || (resp.status + " " + resp.statusText), detail: detail,
             errors: data && data.errors };
  }

  function readJson(resp) {
    return resp.text().then(function (raw) {
      var data = null;
      try { data = JSON.parse(raw); } catch (e) { data = null; }
      return { resp: resp, raw: raw, data: data };
    });
  }

  function submit(ev) {
    ev.preventDefault();
    clearError();
    var text = $("text").value;
    if (!text.trim()) { showError(t("empty"), ""); $("text").focus(); return; }
    if (charCount(text) > maxChars) {
      showError(t("too_long") + " " + fmtNumber(maxChars) + " " + t("chars"), "TOMTAT_MAX_CHARS");
      return;
    }
    var started = performance.now();
    if (enVi()) {
      postText("v1/translate", { text: text, source: "en", target: "vi", format: format }, function (data) {
        renderTranslation(data, performance.now() - started);
      });
      return;
    }
    var full = $("full").checked;
    var payload = {
      text: text,
      format: format,
      summary: { method: $("method").value, max_sentences: parseInt($("length").value, 10) },
      translate: translationReady ? (full ? "both" : "summary") : "none"
    };
    var title = $("title").value.trim();
    if (title) { payload.title = title; }
    postText("v1/articles", payload, function (data) { render(data, full, performance.now() - started); });
  }

  // One JSON request of the text form: results hidden and the form busy until it answers; a problem or a
  // network failure is shown, a success handed to ``done``.
  function postText(url, body, done) {
    $("results").hidden = true;
    $("warnings").hidden = true;
    busy(true);
    fetch(url, { method: "POST", headers: apiHeaders(true), body: JSON.stringify(body) })
      .then(readJson)
      .then(function (r) {
        if (!r.resp.ok) { var p = problem(r.resp, r.raw, r.data); showError(p.title, p.detail, p.errors); return; }
        done(r.data);
      })
      .catch(function () { showError(t("network"), ""); })
      .finally(function () { busy(false); });
  }

  function loadFile(ev) {
    var file = ev.target.files && ev.target.files[0];
    if (!file) { return; }
    clearError();
    if (file.size > maxBytes) { showError(t("file_too_big"), file.name + ": " + fmtNumber(file.size) + " B"); return; }
    var reader = new FileReader();
    reader.onload = function () {
      $("text").value = String(reader.result);
      format = /\.html?$/i.test(file.name) || file.type === "text/html" ? "html" : "auto";
      $("filename").textContent = t("file_loaded") + ": " + file.name;
      updateCounter();
    };
    reader.readAsText(file, "utf-8");
  }

  function copy(ev) {
    var btn = ev.currentTarget;
    var out = $(btn.dataset.target);
    if (out.dataset.empty) { return; }
    var text = Array.prototype.map.call(out.querySelectorAll("p"), function (p) { return p.textContent; }).join("\n\n");
    var done = function () {
      btn.textContent = t("copied");
      btn.classList.add("done");
      setTimeout(function () { btn.textContent = t("copy"); btn.classList.remove("done"); }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () { fallbackCopy(text); done(); });
    } else { fallbackCopy(text); done(); }
  }

  function fallbackCopy(text) {
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "offscreen";
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* clipboard unavailable */ }
    document.body.removeChild(area);
  }

  // -- documents: upload a file, poll its job, offer the translated file ------------------------------

  function fmtSize(n) {
    var units = [["GB", 1073741824], ["MB", 1048576], ["KB", 1024]];
    for (var i = 0; i < units.length; i++) {
      if (n >= units[i][1]) { return fmtNumber(Math.round(n / units[i][1] * 10) / 10) + " " + units[i][0]; }
    }
    return fmtNumber(n) + " B";
  }

  function docExtensions() {
    return $("doc-file").accept.split(",").map(function (e) { return e.trim().toLowerCase(); })
      .filter(function (e) { return e.charAt(0) === "."; });
  }

  function extensionOf(name) {
    var m = /\.[^.\/\\]+$/.exec(name || "");
    return m ? m[0].toLowerCase() : "";
  }

  // The file's problem before it is sent (type, size), or null.
  function checkDocFile(file) {
    if (!file) { return { title: t("doc_no_file"), detail: "" }; }
    var exts = docExtensions();
    if (exts.length && exts.indexOf(extensionOf(file.name)) < 0) {
      return { title: t("doc_bad_type"), detail: file.name + " — " + t("doc_formats") + ": " + exts.join(" ") };
    }
    if (file.size > maxDocBytes) {
      return { title: t("file_too_big"),
               detail: file.name + ": " + fmtSize(file.size) + " > " + fmtSize(maxDocBytes) + " (TOMTAT_MAX_DOCUMENT_BYTES)" };
    }
    return null;
  }

  function directionPair(value) {
    if (value === "en-vi") { return { source: "en", target: "vi" }; }
    if (value === "auto") { return { source: "auto", target: null }; }
    return { source: "vi", target: "en" };
  }

  // A job's progress (the share of its items done, 0..1) as a percentage, or null.
  function percent(progress) {
    var n = Number(progress);
    return progress == null || !isFinite(n) ? null : Math.max(0, Math.min(100, Math.round(n * 100)));
  }

  // A failed job's reason, with its error code.
  function jobError(job) {
    return job.reason ? job.reason + (job.error ? " (" + job.error + ")" : "") : String(job.error || "");
  }

  function docBusy(on) {
    $("doc-submit").disabled = on;
    $("documents").classList.toggle("busy", on);
  }

  function renderDoc() {
    var status = $("doc-status");
    var text = $("doc-status-text");
    var bar = $("doc-progress");
    var job = doc.job || {};
    var state = doc.state;
    status.hidden = !state;
    if (state) {
      var pct = state === "running" || state === "queued" ? percent(job.progress) : null;
      var line = t("doc_" + state);
      if (doc.name) { line = doc.name + ": " + line; }
      if (pct != null && state === "running") { line += " " + pct + "%"; }
      text.textContent = line;
      bar.hidden = !(state === "uploading" || state === "queued" || state === "running");
      if (pct != null) { bar.value = pct; } else { bar.removeAttribute("value"); } // no value: indeterminate
      status.dataset.state = state;
    }
    if (doc.error) { showErrorIn($("doc-error"), doc.error.title, doc.error.detail, doc.error.errors); }
    else { $("doc-error").hidden = true; $("doc-error").replaceChildren(); }
    var done = state === "succeeded";
    $("doc-result").hidden = !done;
    if (!done) { return; }
    var stats = job.stats || {};
    $("doc-filename").textContent = job.filename;  // as the server names it: "report.en.docx"
    $("doc-stats").textContent = stats.translated != null
      ? fmtNumber(stats.translated) + " " + t("doc_segments") + (stats.format ? " · " + stats.format : "") : "";
    [["summary_vi", "vi"], ["summary_en", "en"]].forEach(function (pair) {
      var panel = $("doc-panel-summary-" + pair[1]);
      var value = job[pair[0]];
      panel.hidden = !value;
      if (value) { setParagraphs($("doc-summary-" + pair[1]), value); }
    });
  }


  // With an API key the file is fetched with its header and offered as a blob; without, a plain link.
  function offerDownload(job, run) {
    var link = $("doc-download");
    var name = job.filename;
    link.setAttribute("download", name);
    if (link.dataset.blob) { URL.revokeObjectURL(link.dataset.blob); delete link.dataset.blob; }
    var headers = apiHeaders(false);
    if (!headers["X-API-Key"]) { link.href = job.links.file; return Promise.resolve(); }
    link.removeAttribute("href");
    return fetch(job.links.file, { headers: headers }).then(function (resp) {
      if (!resp.ok) { return readJson(resp).then(function (r) { throw problem(r.resp, r.raw, r.data); }); }
      return resp.blob();
    }).then(function (blob) {
      if (run !== docRun) { return; }
      var url = URL.createObjectURL(blob);
      link.dataset.blob = url;
      link.href = url;
    });
  }

  function finishDoc(run, job) {
    docBusy(false);
    if (job.status === "failed") {
      doc.error = { title: t("doc_failed"), detail: jobError(job) };
      renderDoc();
      return;
    }
    if (job.status !== "succeeded") { renderDoc(); return; }
    offerDownload(job, run).then(function () { if (run === docRun) { renderDoc(); } }, function (p) {
      if (run !== docRun) { return; }
      doc.error = p && p.title ? p : { title: t("network"), detail: "" };
      doc.state = null;
      renderDoc();
    });
  }

  function docFailed(r) {  // an error answer to the upload or a poll: its problem, the form usable again
    doc.error = problem(r.resp, r.raw, r.data);
    doc.state = null;
    docBusy(false);
    renderDoc();
  }

  function poll(run, url, misses) {
    if (run !== docRun) { return; }
    fetch(url, { headers: apiHeaders(false), cache: "no-store" })
      .then(readJson)
      .then(function (r) {
        if (run !== docRun) { return; }
        if (!r.resp.ok || !r.data) { docFailed(r); return; }
        doc.job = r.data;
        doc.state = r.data.status;
        if (TERMINAL[r.data.status]) { finishDoc(run, r.data); return; }
        renderDoc();
        setTimeout(function () { poll(run, r.data.links.self, 0); }, POLL_MS);
      })
      .catch(function () {
        if (run !== docRun) { return; }
        if (misses < 3) { setTimeout(function () { poll(run, url, misses + 1); }, POLL_MS * 2); return; }
        doc.error = { title: t("network"), detail: "" };
        doc.state = null;
        docBusy(false);
        renderDoc();
      });
  }

  function submitDocument(ev) {
    ev.preventDefault();
    var file = $("doc-file").files && $("doc-file").files[0];
    var run = ++docRun;
    var bad = checkDocFile(file);
    if (bad) { doc = { state: null, job: null, error: bad, name: null }; renderDoc(); $("doc-file").focus(); return; }
    var pair = directionPair($("doc-direction").value);
    var form = new FormData();
    form.append("file", file, file.name);
    form.append("source", pair.source);
    if (pair.target) { form.append("target", pair.target); }
    var glossary = $("doc-glossary").value.trim();
    if (glossary) { form.append("glossary", glossary); }
    form.append("summarize", $("doc-summarize").checked ? "true" : "false");
    doc = { state: "uploading", job: {}, error: null, name: file.name };
    renderDoc();
    docBusy(true);
    // no Content-Type header: the browser writes multipart/form-data with its boundary
    fetch("v1/documents", { method: "POST", headers: apiHeaders(false), body: form })
      .then(readJson)
      .then(function (r) {
        if (run !== docRun) { return; }
        if (!r.resp.ok || !r.data || !r.data.job_id) { docFailed(r); return; }
        doc.job = r.data;
        doc.state = r.data.status || "queued";
        renderDoc();
        if (TERMINAL[doc.state]) { finishDoc(run, doc.job); return; }
        setTimeout(function () { poll(run, r.data.links.self, 0); }, POLL_MS);
      })
      .catch(function () {
        if (run !== docRun) { return; }
        doc.error = { title: t("network"), detail: "" };
        doc.state = null;
        docBusy(false);
        renderDoc();
      });
  }

  // The stored glossaries' names, offered in the field's list (once; a 401/404 just leaves it empty).
  var glossariesLoaded = false;
  function loadGlossaries() {
    if (glossariesLoaded) { return; }
    glossariesLoaded = true;
    fetch("v1/glossaries", { headers: apiHeaders(false) }).then(readJson).then(function (r) {
      if (!r.resp.ok || !r.data || !r.data.glossaries) { glossariesLoaded = false; return; }
      var list = $("doc-glossaries");
      list.replaceChildren();
      r.data.glossaries.forEach(function (g) {
        var opt = document.createElement("option");
        opt.value = g.name;
        list.appendChild(opt);
      });
    }).catch(function () { glossariesLoaded = false; });
  }

  $("article-form").addEventListener("submit", submit);
  $("direction").addEventListener("change", function () { lastResult = null; $("results").hidden = true; applyDirection(); });
  $("document-form").addEventListener("submit", submitDocument);
  $("doc-file").addEventListener("change", function () {
    var file = $("doc-file").files && $("doc-file").files[0];
    var bad = file ? checkDocFile(file) : null;
    doc = { state: null, job: null, error: bad, name: null };
    renderDoc();
  });
  $("doc-glossary").addEventListener("focus", loadGlossaries);
  $("text").addEventListener("input", function () { format = "auto"; $("filename").textContent = ""; updateCounter(); });
  $("file").addEventListener("change", loadFile);
  $("clear").addEventListener("click", function () {
    $("text").value = ""; $("title").value = ""; $("file").value = ""; $("filename").textContent = "";
    format = "auto"; $("results").hidden = true; lastResult = null; clearError(); updateCounter();
  });
  document.querySelectorAll(".copy").forEach(function (b) { b.addEventListener("click", copy); });
  document.querySelectorAll(".lang").forEach(function (b) {
    b.addEventListener("click", function () {
      lang = b.dataset.lang;
      try { localStorage.setItem("tomtat-lang", lang); } catch (e) { /* private mode */ }
      applyLabels();
    });
  });
  if (authOn && $("apikey")) { $("apikey").value = sessionStorage.getItem("tomtat-key") || ""; }
  try {
    var saved = localStorage.getItem("tomtat-lang");
    if (saved && saved in LABELS && !/[?&]lang=/.test(location.search)) { lang = saved; }
  } catch (e) { /* private mode */ }
  applyLabels();
  applyDirection();
})();
