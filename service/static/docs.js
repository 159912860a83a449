// Interactive API docs: renders /openapi.json (operations, fields, examples,
// responses) and sends requests from the page. Text nodes only, never HTML.
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "text") { node.textContent = attrs[k]; } else if (k === "cls") { node.className = attrs[k]; }
      else { node.setAttribute(k, attrs[k]); }
    });
    (children || []).forEach(function (c) { if (c) { node.appendChild(c); } });
    return node;
  }

  function resolve(spec, schema) {
    var seen = 0;
    while (schema && schema.$ref && seen++ < 10) {
      schema = spec.components.schemas[schema.$ref.split("/").pop()];
    }
    return schema || {};
  }

  function typeOf(spec, schema) {
    if (!schema) { return ""; }
    if (schema.$ref) { return schema.$ref.split("/").pop(); }
    if (schema.anyOf) { return schema.anyOf.map(function (s) { return typeOf(spec, s); }).join(" | "); }
    if (schema.enum) { return schema.enum.map(JSON.stringify).join(" | "); }
    if (schema.type === "array") { return typeOf(spec, schema.items) + "[]"; }
    return schema.type || "any";
  }

  function fields(spec, schemaRef) {
    var schema = resolve(spec, schemaRef);
    var required = schema.required || [];
    var list = el("ul", { cls: "schema-list" });
    Object.keys(schema.properties || {}).forEach(function (name) {
      var prop = schema.properties[name];
      var li = el("li", {}, [el("code", { text: name }),
        el("span", { text: " " + typeOf(spec, prop) + (required.indexOf(name) >= 0 ? " (required)" : "") +
          (prop.description ? " — " + prop.description : "") })]);
      list.appendChild(li);
    });
    return list;
  }

  function pretty(value) { return JSON.stringify(value, null, 2); }

  function tryIt(op, method, path, example) {
    var box = el("div");
    var area = null;
    if (op.requestBody) {
      area = el("textarea", { cls: "try", spellcheck: "false", "aria-label": "Request body" });
      area.value = example ? pretty(example) : "{}";
      box.appendChild(area);
    }
    var pathInput = el("input", { type: "text", value: path.replace(/^\//, ""), "aria-label": "Path", size: "40" });
    var send = el("button", { type: "button", cls: "button primary", text: "Send" });
    var status = el("div", { cls: "status" });
    var out = el("pre", { hidden: "" });
    box.appendChild(el("div", { cls: "trybar" }, [send, pathInput]));
    box.appendChild(status);
    box.appendChild(out);
    send.addEventListener("click", function () {
      var headers = { "Accept": "application/json" };
      var key = document.getElementById("apikey").value.trim();
      if (key) { headers["X-API-Key"] = key; }
      var init = { method: method.toUpperCase(), headers: headers };
      if (area) { headers["Content-Type"] = "application/json"; init.body = area.value; }
      var started = performance.now();
      status.textContent = "…";
      fetch(pathInput.value.replace(/^\/+/, ""), init).then(function (resp) {
        return resp.text().then(function (raw) {
          status.textContent = resp.status + " " + resp.statusText + " · " +
            Math.round(performance.now() - started) + " ms · " + (resp.headers.get("Content-Type") || "");
          var shown = raw;
          try { shown = pretty(JSON.parse(raw)); } catch (e) { /* not JSON */ }
          out.textContent = shown.length > 20000 ? shown.slice(0, 20000) + "\n…" : shown;
          out.hidden = false;
        });
      }).catch(function (e) { status.textContent = "network error: " + e; });
    });
    return box;
  }

  function operation(spec, path, method, op) {
    var body = el("div", { cls: "opbody" });
    if (op.description) { body.appendChild(el("p", { text: op.description })); }
    if (op.security && op.security.length > 1) {
      body.appendChild(el("p", { cls: "muted", text: "Auth: Bearer or X-API-Key when the server runs with TOMTAT_AUTH=1." }));
    }
    (op.parameters || []).forEach(function (p) {
      body.appendChild(el("p", {}, [el("code", { text: p.name }),
        el("span", { text: " (" + p.in + ") " + (p.description || "") })]));
    });
    var example = null;
    if (op.requestBody) {
      var media = op.requestBody.content["application/json"];
      body.appendChild(el("h4", { text: "Request body" }));
      body.appendChild(fields(spec, media.schema));
      var examples = media.examples || {};
      var names = Object.keys(examples);
      if (names.length) {
        example = examples[names[0]].value;
        body.appendChild(el("h4", { text: "Examples" }));
        names.forEach(function (n) {
          body.appendChild(el("p", { cls: "muted", text: examples[n].summary || n }));
          body.appendChild(el("pre", { text: pretty(examples[n].value) }));
        });
      }
    }
    body.appendChild(el("h4", { text: "Responses" }));
    var table = el("table", { cls: "resp-table" });
    Object.keys(op.responses).forEach(function (code) {
      var r = op.responses[code];
      var cell = el("td", {}, [el("div", { text: r.description })]);
      var content = r.content || {};
      Object.keys(content).forEach(function (type) {
        if (content[type].example !== undefined && code < 300) {
          cell.appendChild(el("pre", { text: pretty(content[type].example) }));
        }
      });
      table.appendChild(el("tr", {}, [el("td", { text: code }), cell]));
    });
    body.appendChild(table);
    body.appendChild(el("h4", { text: "Try it" }));
    body.appendChild(tryIt(op, method, path, example));
    var summary = el("summary", {}, [el("span", { cls: "verb " + method, text: method.toUpperCase() }),
      el("span", { cls: "path", text: path }), el("span", { cls: "summary", text: op.summary || "" })]);
    var details = el("details", { cls: "card op", id: op.operationId }, [summary, body]);
    return details;
  }

  function render(spec) {
    document.getElementById("spec-title").textContent = spec.info.title + " " + spec.info.version;
    document.getElementById("spec-summary").textContent = "OpenAPI " + spec.openapi + " · " + (spec.info.summary || "");
    document.getElementById("spec-description").textContent = spec.info.description || "";
    var root = document.getElementById("operations");
    var byTag = {};
    Object.keys(spec.paths).forEach(function (path) {
      Object.keys(spec.paths[path]).forEach(function (method) {
        var op = spec.paths[path][method];
        var tag = (op.tags && op.tags[0]) || "api";
        (byTag[tag] = byTag[tag] || []).push(operation(spec, path, method, op));
      });
    });
    (spec.tags || []).map(function (t) { return t.name; }).concat(Object.keys(byTag)).forEach(function (tag) {
      if (!byTag[tag]) { return; }
      root.appendChild(el("h3", { cls: "tag", text: tag }));
      byTag[tag].forEach(function (node) { root.appendChild(node); });
      delete byTag[tag];
    });
  }

  fetch(document.body.dataset.spec).then(function (r) { return r.json(); }).then(render).catch(function (e) {
    var box = document.getElementById("error");
    box.textContent = "Could not load the specification: " + e;
    box.hidden = false;
  });
})();
