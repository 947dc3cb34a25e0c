// Progressive enhancement only: every page works without this file.
"use strict";

// Forms that destroy something ask first.
document.addEventListener("submit", (event) => {
  const form = event.target;
  const question = form instanceof HTMLFormElement ? form.dataset.confirm : undefined;
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Copy buttons: data-copy="#selector" copies that element's text.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const status = button.parentElement.querySelector(".copy-status");
  if (!source) return;
  const text = source.textContent.trim();
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = window.getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    copied = document.execCommand && document.execCommand("copy");
  }
  if (status) status.textContent = copied ? "Copied!" : "Press Ctrl+C to copy.";
  button.dataset.copied = copied ? "true" : "false";
});

// Print buttons (the QR code's card prints alone: see the print styles).
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});

// Tabs (WAI-ARIA tabs pattern): one panel at a time, arrow keys move.
function setupTabs(root) {
  const tabs = Array.from(root.querySelectorAll('[role="tab"]'));
  const panels = Array.from(root.querySelectorAll('[role="tabpanel"]'));
  const show = (id, focus) => {
    tabs.forEach((tab) => {
      const on = tab.dataset.tab === id;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      if (on && focus) tab.focus();
    });
    panels.forEach((panel) => { panel.hidden = panel.dataset.panel !== id; });
    root.dataset.activeTab = id;
  };
  tabs.forEach((tab, i) => {
    tab.addEventListener("click", () => show(tab.dataset.tab, false));
    tab.addEventListener("keydown", (event) => {
      let next = null;
      if (event.key === "ArrowRight") next = tabs[(i + 1) % tabs.length];
      if (event.key === "ArrowLeft") next = tabs[(i - 1 + tabs.length) % tabs.length];
      if (event.key === "Home") next = tabs[0];
      if (event.key === "End") next = tabs[tabs.length - 1];
      if (next) { event.preventDefault(); show(next.dataset.tab, true); }
    });
  });
  // Links in the error summary open the tab that holds the field.
  root.querySelectorAll('.form-summary a[href^="#"]').forEach((link) => {
    link.addEventListener("click", (event) => {
      const field = root.querySelector(link.getAttribute("href"));
      const panel = field && field.closest('[role="tabpanel"]');
      if (!panel) return;
      event.preventDefault();
      show(panel.dataset.panel, false);
      const focusable = field.matches("input, select, textarea") ? field : field.querySelector("input, select, textarea");
      if (focusable) focusable.focus();
    });
  });
  // Back and Next between the tabs, at the foot of each panel.
  panels.forEach((panel, i) => {
    const steps = document.createElement("div");
    steps.className = "tab-steps";
    const step = (to, text, next) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = next ? "button next" : "button";
      button.textContent = text;
      button.addEventListener("click", () => show(to.dataset.panel, true));
      steps.append(button);
    };
    const label = (p) => {
      const tab = tabs.find((t) => t.dataset.tab === p.dataset.panel);
      return tab ? tab.textContent.trim() : "";
    };
    if (i > 0) step(panels[i - 1], `← ${label(panels[i - 1])}`, false);
    if (i < panels.length - 1) step(panels[i + 1], `Next: ${label(panels[i + 1])} →`, true);
    panel.append(steps);
  });
  show(root.dataset.activeTab || tabs[0].dataset.tab, false);
}

// The coupon form: show the fields of the chosen discount type and duration.
function setupCouponForm(form) {
  const value = (name) => {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : "";
  };
  const toggle = (selector, on) => {
    form.querySelectorAll(selector).forEach((el) => {
      el.hidden = !on;
      el.querySelectorAll("input, select").forEach((input) => { input.disabled = !on; });
    });
  };
  const currency = form.querySelector('select[name="currency"]');
  const percent = form.querySelector('input[name="percent_off"]');
  const fullBox = form.querySelector("[data-full-discount]");
  const update = () => {
    const type = value("discount_type");
    if (!type) return; // locked terms: nothing to toggle
    toggle(".when-percent", type === "percent");
    toggle(".when-value", type === "value");
    toggle(".when-repeating", value("duration") === "repeating");
    if (type === "value" && currency && !currency.value) currency.value = currency.dataset.storeCurrency || "";
    if (fullBox) {
      const full = type === "percent" && percent && parseFloat(percent.value) === 100;
      fullBox.classList.toggle("shown", full || !fullBox.hasAttribute("data-quiet"));
    }
  };
  form.addEventListener("change", update);
  form.addEventListener("input", update);
  update();
}

// Coupon pickers (web::picker): typing in the search box refills the select
// with the matching coupons, keeping the chosen one; one match is chosen.
function setupPicker(root) {
  const search = root.querySelector("[data-picker-search]");
  const select = root.querySelector("select");
  const note = root.querySelector("[data-picker-note]");
  if (!search || !select) return;
  let timer = null;
  let asked = 0;
  const refill = async () => {
    const q = search.value.trim();
    const ticket = ++asked;
    let found;
    try {
      const url = `${search.dataset.pickerSearch}?q=${encodeURIComponent(q)}`;
      const response = await fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      found = await response.json();
    } catch (_) {
      return;
    }
    if (ticket !== asked) return; // a newer search is on its way
    const chosen = select.value;
    const kept = Array.from(select.options).filter((o) => o.value === "" || o.value === chosen);
    select.replaceChildren(...kept);
    found.filter((c) => String(c.id) !== chosen).forEach((c) => {
      const option = new Option(c.label, String(c.id));
      option.dataset.remaining = c.remaining;
      select.add(option);
    });
    if (q && found.length === 1) select.value = String(found[0].id);
    if (note) note.textContent = q ? `${found.length} found for “${q}”.` : "";
    select.dispatchEvent(new Event("change", { bubbles: true }));
  };
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refill, 200);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key !== "Enter") return;
    event.preventDefault();
    clearTimeout(timer);
    refill();
  });
}

// The new set form warns when it asks for more codes than the coupon has uses left.
function setupSetForm(form) {
  const select = form.querySelector('select[name="coupon_id"]');
  const count = form.querySelector('input[name="count"]');
  const warning = form.querySelector("[data-capacity-warning]");
  if (!select || !count || !warning) return;
  const update = () => {
    const option = select.selectedOptions[0];
    const raw = option ? option.dataset.remaining : undefined;
    const left = raw ? parseInt(raw, 10) : NaN;
    const n = parseInt(count.value.replace(/[,\s]/g, ""), 10);
    const over = !Number.isNaN(left) && !Number.isNaN(n) && n > left;
    warning.hidden = !over;
    if (over) {
      const f = (v) => v.toLocaleString("en-US");
      warning.textContent = `The coupon has ${f(left)} uses left: only ${f(left)} of these ${f(n)} codes could be redeemed. Raise its limit, or make fewer codes.`;
    }
  };
  form.addEventListener("input", update);
  form.addEventListener("change", update);
  update();
}

// Bulk actions: the list's checkboxes belong to the bulk form (form="…");
// its button counts them, and a header box selects the whole page.
function setupBulk(form) {
  const button = form.querySelector("[data-bulk-button]");
  const boxes = () => Array.from(document.querySelectorAll(`input[type="checkbox"][form="${form.id}"]`));
  const all = document.querySelector("[data-select-all]");
  const update = () => {
    const n = boxes().filter((b) => b.checked).length;
    button.disabled = n === 0;
    button.textContent = n === 0 ? `${button.dataset.label} selected` : `${button.dataset.label} ${n} selected`;
    if (all) {
      all.checked = n > 0 && n === boxes().length;
      all.indeterminate = n > 0 && n < boxes().length;
    }
  };
  if (all) {
    all.hidden = false;
    all.addEventListener("change", () => {
      boxes().forEach((b) => { b.checked = all.checked; });
      update();
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches && event.target.matches(`input[form="${form.id}"]`)) update();
  });
  update();
}

document.querySelectorAll("form[data-bulk]").forEach(setupBulk);
document.querySelectorAll("[data-tabs]").forEach(setupTabs);
document.querySelectorAll("[data-picker]").forEach(setupPicker);
document.querySelectorAll(".set-form").forEach(setupSetForm);
document.querySelectorAll(".coupon-form").forEach(setupCouponForm);

// On phones the store navigation scrolls sideways: keep the current section in view.
const activeNav = document.querySelector(".sidenav a.active");
if (activeNav && activeNav.scrollIntoView) activeNav.scrollIntoView({ block: "nearest", inline: "center" });
