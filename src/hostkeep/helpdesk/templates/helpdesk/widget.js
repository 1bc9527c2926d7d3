{% autoescape off %}/* Hostkeep support widget: <script src=".../helpdesk/widget/KEY.js" async></script> */
(function () {
  "use strict";
  var submitUrl = {{ submit_url }};
  var t = {{ texts }};
  var host = document.createElement("div");
  host.setAttribute("data-hostkeep-widget", "");
  var root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
  var style = document.createElement("style");
  style.textContent = "form{font:14px sans-serif;display:grid;gap:6px;max-width:360px;padding:12px;border:1px solid #ccc;border-radius:6px;background:#fff}input,textarea{font:inherit;padding:4px}";
  root.appendChild(style);
  var form = document.createElement("form");
  var title = document.createElement("strong");
  title.textContent = t.title;
  form.appendChild(title);
  function field(name, label, kind) {
    var wrap = document.createElement("label");
    wrap.textContent = label;
    var input = document.createElement(kind === "textarea" ? "textarea" : "input");
    if (kind !== "textarea") { input.type = kind; }
    input.name = name;
    input.required = name !== "name";
    wrap.appendChild(input);
    form.appendChild(wrap);
  }
  field("name", t.name, "text");
  field("email", t.email, "email");
  field("subject", t.subject, "text");
  field("message", t.message, "textarea");
  var button = document.createElement("button");
  button.type = "submit";
  button.textContent = t.send;
  form.appendChild(button);
  var status = document.createElement("p");
  status.setAttribute("role", "status");
  form.appendChild(status);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {};
    ["name", "email", "subject", "message"].forEach(function (n) { body[n] = form.elements[n].value; });
    button.disabled = true;
    fetch(submitUrl, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) })
      .then(function (r) { return r.json().then(function (j) { return { ok: r.ok, j: j }; }); })
      .then(function (res) {
        status.textContent = res.ok ? t.sent : ((res.j.error && res.j.error.message) || t.failed);
        if (res.ok) { form.reset(); }
      })
      .catch(function () { status.textContent = t.failed; })
      .then(function () { button.disabled = false; });
  });
  root.appendChild(form);
  var anchor = document.currentScript;
  if (anchor && anchor.parentNode) { anchor.parentNode.insertBefore(host, anchor.nextSibling); }
  else { document.body.appendChild(host); }
})();
{% endautoescape %}
