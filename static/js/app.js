// Progressive enhancement only: every page works without this file.
"use strict";

document.addEventListener("submit", (event) => {
  // Forms that destroy something ask first.
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
