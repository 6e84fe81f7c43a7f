// The dashboard's one script: Telegram's theme colours, and signing in with the data
// Telegram hands a Mini App (window.Telegram.WebApp if the page runs inside Telegram,
// else the #tgWebAppData=... fragment Telegram appends to the URL). No other script loads.
(function () {
  "use strict";
  var fragment = new URLSearchParams(window.location.hash.replace(/^#/, ""));
  var webApp = window.Telegram && window.Telegram.WebApp;

  function applyTheme(params) {
    if (!params) return;
    Object.keys(params).forEach(function (key) {
      var value = String(params[key]);
      if (/^#[0-9a-fA-F]{3,8}$/.test(value)) {
        var name = "--tg-theme-" + key.replace(/_/g, "-");
        document.documentElement.style.setProperty(name, value);
      }
    });
  }

  var theme = null;
  if (webApp && webApp.themeParams) theme = webApp.themeParams;
  else if (fragment.get("tgWebAppThemeParams")) {
    try { theme = JSON.parse(fragment.get("tgWebAppThemeParams")); } catch (e) { theme = null; }
  }
  if (theme) {
    try { sessionStorage.setItem("magnet-theme", JSON.stringify(theme)); } catch (e) {}
  } else {
    try { theme = JSON.parse(sessionStorage.getItem("magnet-theme") || "null"); } catch (e) {}
  }
  applyTheme(theme);
  if (webApp && webApp.ready) webApp.ready();

  var signin = document.getElementById("signin");
  if (signin) {
    var initData = (webApp && webApp.initData) || fragment.get("tgWebAppData") || "";
    var status = document.getElementById("signin-status");
    if (!initData) {
      status.textContent = signin.dataset.outside;
      document.getElementById("token-link").hidden = false;
      return;
    }
    history.replaceState(null, "", window.location.pathname);
    fetch(signin.dataset.action, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ init_data: initData })
    }).then(function (response) {
      return response.json().then(function (body) { return { ok: response.ok, body: body }; });
    }).then(function (result) {
      if (result.ok) window.location.replace(result.body.next);
      else status.textContent = result.body.error;
    }).catch(function () { status.textContent = signin.dataset.failed; });
  }

  var login = document.getElementById("token-form");
  if (login && fragment.get("token")) {
    login.elements.token.value = fragment.get("token");
    history.replaceState(null, "", window.location.pathname);
    login.submit();
  }
})();
