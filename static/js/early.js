// Runs before the page is parsed (not deferred): marks that scripts run, so
// the CSS can hide what JavaScript replaces, and notes any Content-Security-
// Policy violation on the page (the browser tests check there is none).
(function () {
  "use strict";
  var root = document.documentElement;
  root.classList.add("js");
  document.addEventListener("securitypolicyviolation", function (e) {
    var seen = root.getAttribute("data-csp-violations");
    var entry = e.violatedDirective + " " + (e.blockedURI || "inline");
    root.setAttribute("data-csp-violations", seen ? seen + " | " + entry : entry);
  });
})();
