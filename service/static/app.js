// tomtat web page: paste or upload a Vietnamese article, get the Vietnamese
// summary, the English summary and the full English translation side by side.
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
  var CHECKED = [["summary_vi", "summary-vi"], ["summary_en", "summary-en"], ["translation_en", "translation-en"]];

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
  }

  function updateCounter() {
    var n = $("text").value.length;
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

  function showError(title, detail, fields) {
    var box = $("error");
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
        li.textContent = f.field + ": " + f.message;
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

  function render(data, full, elapsed) {
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
    btn.textContent = on ? t("working") : t("submit");
    btn.dataset.i18n = on ? "working" : "submit";
    body.classList.toggle("busy", on);
  }

  function submit(ev) {
    ev.preventDefault();
    clearError();
    var text = $("text").value;
    if (!text.trim()) { showError(t("empty"), ""); $("text").focus(); return; }
    if (text.length > maxChars) {
      showError(t("too_long") + " " + fmtNumber(maxChars) + " " + t("chars"), "TOMTAT_MAX_CHARS");
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
    var headers = { "Content-Type": "application/json", "Accept": "application/json" };
    if (authOn && $("apikey") && $("apikey").value.trim()) {
      sessionStorage.setItem("tomtat-key", $("apikey").value.trim());
      headers["X-API-Key"] = $("apikey").value.trim();
    }
    var started = performance.now();
    $("results").hidden = true;
    busy(true);
    fetch("v1/articles", { method: "POST", headers: headers, body: JSON.stringify(payload) })
      .then(function (resp) {
        return resp.text().then(function (raw) {
          var data = null;
          try { data = JSON.parse(raw); } catch (e) { data = null; }
          if (!resp.ok) {
            var retry = resp.headers.get("Retry-After");
            var detail = data && data.detail ? data.detail : raw.slice(0, 300);
            if (retry) { detail += " (Retry-After: " + retry + " s)"; }
            showError((data && data.title) || (resp.status + " " + resp.statusText), detail, data && data.errors);
            return;
          }
          render(data, full, performance.now() - started);
        });
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

  $("article-form").addEventListener("submit", submit);
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
})();
